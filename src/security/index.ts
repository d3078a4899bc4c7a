// `portier check-security` (issue 15, slice 5): what is still plain, and why.
export { checkSecurity, formatFindings, type Finding } from './check-security.ts';
