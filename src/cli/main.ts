import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run cli -- <command> [args]`: every module in ./commands is a command named after its file,
 * so adding a command is adding a file. Each exports `summary`, `usage` and `run(args) -> exit code`.
 */
export interface CliCommand {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

const commandNames = (): string[] =>
  readdirSync(commandsDir).filter((f) => /^[a-z][a-z0-9-]*\.ts$/.test(f)).map((f) => f.slice(0, -3)).sort();

async function loadCommand(name: string): Promise<CliCommand> {
  return (await import(pathToFileURL(join(commandsDir, `${name}.ts`)).href)) as CliCommand;
}

async function help(): Promise<void> {
  console.log('usage: npm run cli -- <command> [args]\n\ncommands:');
  for (const name of commandNames()) console.log(`  ${name.padEnd(14)} ${(await loadCommand(name)).summary}`);
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    await help();
    return name ? 0 : 2;
  }
  if (!commandNames().includes(name)) {
    console.error(`unknown command '${name}'`);
    await help();
    return 2;
  }
  const command = await loadCommand(name);
  if (args.includes('--help')) {
    console.log(`usage: ${command.usage}`);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    console.error(`${e.name}: ${e.message}`);
    process.exitCode = 1;
  },
);
