// Sites and doors.
export { Sites, isTimeZone, type Site, type Door } from './sites.ts';
