import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { productionNodeFlags } from '../bench/lib/nodeFlags.js';

describe('node flags of the production gateway', () => {
  it("are read from the Dockerfile's CMD", () => {
    expect(productionNodeFlags()).toContain('--max-semi-space-size=64');
    expect(productionNodeFlags('FROM x\nCMD ["node", "--a", "--b=1", "dist/src/main.js"]\n')).toEqual([
      '--a',
      '--b=1',
    ]);
    expect(() => productionNodeFlags('FROM x\n')).toThrow(/no CMD/);
    expect(() => productionNodeFlags('CMD ["npm", "start"]')).toThrow(/not \["node"/);
  });

  it('are the same for `npm start`, so the simulator run and the image behave alike', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
      .scripts.start!;
    const flags = start.split(/\s+/).filter((a) => a.startsWith('--max-') || a.startsWith('--expose'));
    expect(flags).toEqual(productionNodeFlags());
    expect(start).toMatch(/--import tsx src\/main\.ts$/);
  });

  it('are accepted by this runtime (a typo would stop the image at start)', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, [...productionNodeFlags(), '-e', 'console.log("ok")'], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('ok');
  });
});
