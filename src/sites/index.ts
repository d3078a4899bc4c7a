// Sites and doors.
export { Sites, isTimeZone, type Site, type Door, type DoorReferences, type SiteLookup } from './sites.ts';
export { type DoorControl, type UnlockRequest, type UnlockResult } from './door-control.ts';
export { isOpenAt, checkOpeningHours, WEEKDAYS, type OpeningHours, type OpeningPeriod, type SiteHours, type Weekday } from './opening-hours.ts';
export { WelcomeScreens, type WelcomeScreen, type WelcomeSettings, type Bilingual, type LogoInfo, type Logo } from './welcome-screens.ts';
export { checkLogo, sniffLogo, logoTooLarge, LOGO_TYPES, type LogoType } from './logo-image.ts';
