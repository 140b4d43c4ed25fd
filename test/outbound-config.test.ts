/** worker/config.ts: the outbound allowlists THUMBGATE_MEDIA_HOSTS and THUMBGATE_CALLBACK_HOSTS. */
import { ConfigError, loadWorkerConfig } from '../worker/config.js';

const load = (env: NodeJS.ProcessEnv) => loadWorkerConfig({ SEGMIND_API_KEY: 'sg_real_key_0123456789', ...env });

test('both lists are empty by default: media from the base URL host only, callbacks to public addresses only', () => {
  const config = load({});
  expect([config.segmind.mediaHosts, config.callbackHosts]).toEqual([[], []]);
});

test('comma-separated entries; media takes names and *.suffix, callbacks host:port too', () => {
  const config = load({
    THUMBGATE_MEDIA_HOSTS: ' media.example.com, *.cdn.example.net ',
    THUMBGATE_CALLBACK_HOSTS: 'scheduler.internal:8443,10.0.0.7,[fd00::1]:9000',
  });
  expect(config.segmind.mediaHosts).toEqual(['media.example.com', '*.cdn.example.net']);
  expect(config.callbackHosts).toEqual(['scheduler.internal:8443', '10.0.0.7', '[fd00::1]:9000']);
});

test.each([
  ['THUMBGATE_MEDIA_HOSTS', 'https://media.example.com'],
  ['THUMBGATE_MEDIA_HOSTS', 'media.example.com:443'],
  ['THUMBGATE_CALLBACK_HOSTS', 'hooks.example.com/path'],
  ['THUMBGATE_CALLBACK_HOSTS', '*'],
])('%s=%s stops the worker, naming the setting and the entry', (name, value) => {
  expect(() => load({ [name]: value })).toThrow(ConfigError);
  expect(() => load({ [name]: value })).toThrow(
    new RegExp(`^${name} entries are .*${value.replace(/[.*/]/g, '\\$&')}`)
  );
});
