// The installed package's command line (src/app/cli/package-cli.ts) and its bench's arguments (bench/installed.ts);
// test/package.test.ts runs both from a real install.

import { describe, expect, it } from 'vitest';
import { installedBenchArgs } from '../bench/installed';
import { COMMANDS, HELP, parseCli } from '../src/app/cli/package-cli';

describe('webgrad-gpu <command>', () => {
  it('runs each command as its program with the remaining arguments untouched', () => {
    expect(parseCli(['train', '--dataset', 'tiny', '--runtime', 'node'], '1.2.3')).toEqual({
      program: 'start.mjs',
      args: ['--dataset', 'tiny', '--runtime', 'node'],
    });
    expect(parseCli(['demo', '--port', '0'], '1.2.3')).toEqual({ program: 'demo.mjs', args: ['--port', '0'] });
    expect(parseCli(['bench', '--help'], '1.2.3')).toEqual({ program: 'bench.mjs', args: ['--help'] });
    expect(parseCli(['compare', 'a', 'b'], '1.2.3')).toEqual({ program: 'compare.mjs', args: ['a', 'b'] });
  });

  it('prints help (exit 0 when asked, 2 without a command), the version, or an unknown command with the help', () => {
    expect(parseCli(['--help'], '1.2.3')).toEqual({ print: HELP, code: 0 });
    expect(parseCli([], '1.2.3')).toEqual({ print: HELP, code: 2 });
    expect(parseCli(['-v'], '1.2.3')).toEqual({ print: '1.2.3\n', code: 0 });
    const r = parseCli(['fit'], '1.2.3');
    expect(r).toMatchObject({ code: 2 });
    expect((r as { print: string }).print).toMatch(/^error: unknown command 'fit'/);
    for (const name of Object.keys(COMMANDS)) expect(HELP).toContain(`  ${name} `);
  });
});

describe('webgrad-gpu bench from an install', () => {
  it('runs webgrad alone, without torch, saving nothing', () => {
    expect(installedBenchArgs(['--quick'])).toEqual({
      args: ['--peers', 'none', '--no-torch', '--no-save', '--quick'],
    });
    expect(installedBenchArgs(['--peers=none'])).toEqual({
      args: ['--peers', 'none', '--no-torch', '--no-save', '--peers=none'],
    });
    expect(installedBenchArgs(['--peers', 'none'])).toEqual({
      args: ['--peers', 'none', '--no-torch', '--no-save', '--peers', 'none'],
    });
  });

  it('refuses what needs a clone, saying why', () => {
    expect(installedBenchArgs(['--peers=ort'])).toEqual({ error: expect.stringMatching(/^--peers needs a clone/) });
    expect(installedBenchArgs(['--peers', 'tfjs'])).toEqual({
      error: expect.stringMatching(/^--peers needs a clone.*not part of the package/),
    });
    expect(installedBenchArgs(['--save'])).toEqual({ error: expect.stringMatching(/^--save needs a clone/) });
    expect(installedBenchArgs(['--report=x.json'])).toEqual({
      error: expect.stringMatching(/^--report needs a clone/),
    });
  });
});
