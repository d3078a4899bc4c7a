// qlobber ships no type declarations; only what the broker persistence uses.
declare module 'qlobber' {
  export class QlobberTrue {
    constructor(options: { wildcard_one: string; wildcard_some: string; separator: string });
    add(topic: string): this;
    test(topic: string): boolean;
  }
}

declare module 'qlobber/aedes/qlobber-sub.js' {
  export interface SubValue { clientId: string; topic: string; qos?: number; rh?: number; rap?: boolean; nl?: boolean }
  export default class QlobberSub {
    constructor(options: { wildcard_one: string; wildcard_some: string; separator: string });
    subscriptionsCount: number;
    add(topic: string, value: SubValue): this;
    remove(topic: string, value: { clientId: string; topic: string }): this;
    match(topic: string): SubValue[];
  }
}
