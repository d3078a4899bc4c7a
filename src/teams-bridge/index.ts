// Microsoft Teams bridge through Microsoft Graph. Its own issue builds it; until
// a tenant is configured it reports itself disabled in /ready.
import { disabledComponent, type StatusSource } from '../lifecycle/index.ts';

export function createTeamsBridge(): StatusSource {
  return disabledComponent('teams', 'no Microsoft 365 tenant configured');
}
