// Benchmark helper, run as a child process: reads {url, devices} as JSON on
// stdin, keeps one idle MQTT connection per device, prints "ready <n>" once all
// are connected and closes them when stdin ends.
// Usage (by bench/device-idle.ts): node bench/mqtt-idle-clients.ts < spec.json
import mqtt, { type MqttClient } from 'mqtt';

// One line of JSON; stdin stays open afterwards (its end is the signal to stop).
const line = await new Promise<string>((resolve) => {
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString();
    const end = buffered.indexOf('\n');
    if (end < 0) return;
    process.stdin.off('data', onData);
    resolve(buffered.slice(0, end));
  };
  process.stdin.on('data', onData);
});
const input = line;
const spec = JSON.parse(input) as { url: string; devices: Array<{ id: string; secret: string }> };
const clients: MqttClient[] = [];
const BATCH = 100;
for (let i = 0; i < spec.devices.length; i += BATCH) {
  await Promise.all(spec.devices.slice(i, i + BATCH).map((d) => new Promise<void>((resolve, reject) => {
    const c = mqtt.connect(spec.url, { protocolVersion: 4, reconnectPeriod: 0, keepalive: 300, clientId: d.id, username: d.id, password: d.secret, connectTimeout: 30_000 });
    c.once('connect', () => resolve());
    c.once('error', reject);
    clients.push(c);
  })));
}
process.stdout.write(`ready ${clients.length}\n`);
process.stdin.on('data', () => {});
process.stdin.on('end', () => {
  for (const c of clients) c.end(true);
  process.exit(0);
});
