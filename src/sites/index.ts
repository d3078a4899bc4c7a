// Sites and doors.
export { Sites, isTimeZone, type Site, type Door, type SiteLookup } from './sites.ts';
export { type DoorControl, type UnlockRequest, type UnlockResult } from './door-control.ts';
export { isOpenAt, checkOpeningHours, WEEKDAYS, type OpeningHours, type OpeningPeriod, type SiteHours, type Weekday } from './opening-hours.ts';
