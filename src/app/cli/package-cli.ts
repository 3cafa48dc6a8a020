// The package's command (bin `webgrad-gpu`, dist/cli.mjs): `npx webgrad-gpu train|demo|bench|compare [options]`.
//
// Each command is a program built beside this one (dist/start.mjs, demo.mjs, bench.mjs, compare.mjs) and is run as a
// child process with the remaining arguments, untouched: its own --help and parsing apply, and so does `npm start`'s
// `--runtime` option wherever start.mjs understands it. Ctrl-C reaches the child through the terminal's process
// group; this process waits for it and exits with its code.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Command → the program that runs it, and what its help line says. */
export const COMMANDS = {
  train: { program: 'start.mjs', about: 'train DAR, DERL or the baseline and print the robustness tables (npm start)' },
  demo: { program: 'demo.mjs', about: 'serve the demo page on 127.0.0.1 and print its URL' },
  bench: { program: 'bench.mjs', about: "time webgrad's kernels and a DAR training step in headless Chrome/Chromium" },
  compare: { program: 'compare.mjs', about: 'compare the results.json of several runs (quality floors)' },
} as const;

export type CommandName = keyof typeof COMMANDS;

export const HELP = `Usage: webgrad-gpu <command> [options]     (npx webgrad-gpu <command> --help for a command's options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.about}`)
  .join('\n')}

Options:
  -h, --help    show this help
  -v, --version print the package version

train, demo and bench need a Chrome or Chromium with WebGPU (version 113 or newer): $WEBGRAD_CHROME, else a system
one, else one in puppeteer's cache. Nothing is downloaded; when none is found the command says what to install.
`;

/** What the command line asks for: a program to run with its arguments, or text to print and an exit code. */
export type Parsed = { program: string; args: string[] } | { print: string; code: number };

export function parseCli(argv: readonly string[], version: string): Parsed {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help')
    return { print: HELP, code: first === undefined ? 2 : 0 };
  if (first === '-v' || first === '--version') return { print: `${version}\n`, code: 0 };
  if (!Object.hasOwn(COMMANDS, first)) return { print: `error: unknown command '${first}'\n\n${HELP}`, code: 2 };
  return { program: COMMANDS[first as CommandName].program, args: rest };
}

function packageVersion(dir: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parsed = parseCli(process.argv.slice(2), packageVersion(here));
  if ('print' in parsed) {
    (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.print);
    return parsed.code;
  }
  const child = spawn(process.execPath, [path.join(here, parsed.program), ...parsed.args], { stdio: 'inherit' });
  // The child handles Ctrl-C itself (the terminal sends it to both); this process only waits for it.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return await new Promise<number>((resolve) => {
    child.on('error', (e) => {
      console.error(`error: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code));
}
