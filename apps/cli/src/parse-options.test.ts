import { loadCliConfig } from '@dropgate/config';
import { httpUrl } from './parse-options';

describe('--url', () => {
  it('holds --url to the rule of DROPGATE_ADMIN_URL: the same values pass, the same are refused', () => {
    const accepts = (value: string): { flag: boolean; env: boolean } => {
      let flag = true;
      try {
        httpUrl(value);
      } catch {
        flag = false;
      }
      let env = true;
      try {
        loadCliConfig({ DROPGATE_ADMIN_URL: value });
      } catch {
        env = false;
      }
      return { flag, env };
    };
    for (const good of ['http://127.0.0.1:3001', 'https://admin.example.net/', 'http://[::1]:3001'])
      expect({ good, ...accepts(good) }).toEqual({ good, flag: true, env: true });
    for (const bad of ['ftp://nowhere', 'nowhere', 'http://', 'mailto:ops@example.net'])
      expect({ bad, ...accepts(bad) }).toEqual({ bad, flag: false, env: false });
  });
});
