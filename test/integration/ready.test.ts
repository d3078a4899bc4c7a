// /ready answers whether the gateway serves: a degraded component (a SIP account
// that cannot register, a media worker restarting) is reported, but does not take
// the building's gateway out of a load balancer's rotation.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/gateway.ts';
import type { Gw } from '../support/signaling.ts';
import { gatewayWithAdmin } from '../support/gateway-hooks.ts';

describe('/ready with a degraded component', () => {
  let gw: Gw;
  let admin: ApiClient;
  // Nothing answers SIP on 127.0.0.1:9: the account cannot register.
  gatewayWithAdmin({ PORTIER_SIP__ACCOUNTS: '[{id: pbx, registrar: "127.0.0.1:9", username: lobby, password: "not used"}]' }, (g, a) => { gw = g; admin = a; });

  it('answers 200 and names the degraded component', async () => {
    const res = await admin.get('/ready');
    expect(res.body.components.sip.state).toBe('degraded');
    expect(res.status).toBe(200);
    expect(res.body.ready).toBe(true);
  });
});
