/**
 * What `llais` accepts: each command form with its usage lines and options, `--help`/`-h` on any
 * of them (usage on stdout, exit 0), and an unknown command, subcommand or option refused before
 * anything runs (usage on stderr, exit 2), so a typo never starts a server or touches data.
 */

/** One command form, e.g. `keys create`. */
interface Form {
  usage: string;
  /** Options that take a value, beyond the global ones. */
  valueOptions?: readonly string[];
  /** Options without a value. */
  flags?: readonly string[];
}

/** Every command reads the configuration, so these apply to all of them. */
const GLOBAL_VALUE_OPTIONS = ['--port', '--host', '--config', '--data-dir', '--models-dir'];
const GLOBAL = '[--config FILE] [--data-dir DIR] [--models-dir DIR]';

const FORMS: Readonly<Record<string, Form>> = {
  serve: { usage: `llais serve [--port N] [--host H] ${GLOBAL}\nstart the server (the default command)` },
  worker: { usage: `llais worker [--port N] [--host H] ${GLOBAL}\nrun queued jobs from the shared queue (LLAIS_REDIS_URL; docs/cluster.md); answers only health and metrics over HTTP` },
  migrate: { usage: `llais migrate ${GLOBAL}\napply the Postgres schema steps not applied yet (LLAIS_DATABASE_URL; docs/cluster.md) and print them` },
  doctor: { usage: `llais doctor [--port N] [--host H] ${GLOBAL}\ncheck the install, ffmpeg, models, port, TLS files and auth mode, with the fix for each problem; exit 1 when any check fails` },
  'models list': { usage: `llais models [list] ${GLOBAL}\nthe model catalogue, what is installed, and how to install the rest` },
  'models pull': {
    usage: `llais models pull <id> [--trust-unpinned] ${GLOBAL}\ndownload a model (LLAIS_MODELS_MIRROR=<url> fetches <url>/<id>/<file> instead); --trust-unpinned installs files the catalogue pins no sha256 for, unverified\nllais models pull piper <voice>\nany voice of the published Piper list, e.g. de_DE-thorsten-medium`,
    flags: ['--trust-unpinned'],
  },
  'models remove': { usage: `llais models remove <id> ${GLOBAL}\ndelete a model's files` },
  'keys create': { usage: 'llais keys create --account <id> [--plan free|starter|pro|enterprise|…]\na new API key, printed once', valueOptions: ['--account', '--plan'] },
  'keys list': { usage: 'llais keys list [--account <id>]', valueOptions: ['--account'] },
  'keys revoke': { usage: 'llais keys revoke <key id>' },
  'credits grant': { usage: 'llais credits grant --account <id> <credits> [--note <text>]', valueOptions: ['--account', '--note'] },
  'credits balance': { usage: 'llais credits balance --account <id>', valueOptions: ['--account'] },
  'credits history': { usage: 'llais credits history --account <id> [--limit N]', valueOptions: ['--account', '--limit'] },
  'webhooks secret': { usage: 'llais webhooks secret [--account <id>] [--rotate]\nthe secret that signs batch webhooks (no --account: the open-mode secret)', valueOptions: ['--account'], flags: ['--rotate'] },
};

/** Options that take a value in any form: their value is never read as a command word. */
const VALUE_OPTIONS = new Set([...GLOBAL_VALUE_OPTIONS, ...Object.values(FORMS).flatMap((f) => f.valueOptions ?? [])]);
const HELP = new Set(['--help', '-h']);
/** A negative number is a value (`credits grant … -500`), not an option. */
const NEGATIVE_NUMBER = /^-\d/;

/** `usage:`, then each form's command lines indented once and its descriptions twice. */
function usageOf(names: readonly string[]): string {
  const lines = names.flatMap((n) => FORMS[n]!.usage.split('\n')).map((l) => (l.startsWith('llais ') ? `  ${l}` : `      ${l}`));
  return `usage:\n${lines.join('\n')}\n`;
}

/** The usage of every command. */
export function fullUsage(): string {
  return `${usageOf(Object.keys(FORMS))}Every command takes --help.\n`;
}

/** What to do with a command line: run it, print its help, or refuse it with usage. */
export type CommandLineVerdict = { kind: 'run' } | { kind: 'help'; text: string } | { kind: 'usage_error'; text: string };

/** Decides on `argv` (after `node cli.js`) before any command runs. */
export function checkCommandLine(argv: readonly string[]): CommandLineVerdict {
  const words: string[] = [];
  const options: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (HELP.has(a)) help = true;
    else if (a.startsWith('-') && !NEGATIVE_NUMBER.test(a)) {
      options.push(a);
      if (VALUE_OPTIONS.has(a) && argv[++i] === undefined) return { kind: 'usage_error', text: `llais: ${a} needs a value\n${fullUsage()}` };
    } else words.push(a);
  }
  if (help && words.length === 0) return { kind: 'help', text: fullUsage() };
  const [command = 'serve', sub] = words;
  const family = Object.keys(FORMS).filter((n) => n === command || n.startsWith(`${command} `));
  if (family.length === 0) return { kind: 'usage_error', text: `llais: unknown command '${command}'\n${fullUsage()}` };
  const form: string | undefined = FORMS[command] ? command : sub !== undefined ? `${command} ${sub}` : command === 'models' ? 'models list' : undefined;
  if (form !== undefined && !FORMS[form]) {
    return { kind: 'usage_error', text: `llais: unknown command '${command} ${sub}'\n${usageOf(family)}` };
  }
  if (help) return { kind: 'help', text: usageOf(form === undefined || (command === 'models' && sub === undefined) ? family : [form]) };
  if (form === undefined) return { kind: 'usage_error', text: `llais: '${command}' needs a subcommand\n${usageOf(family)}` };
  const spec = FORMS[form]!;
  const allowed = new Set([...GLOBAL_VALUE_OPTIONS, ...(spec.valueOptions ?? []), ...(spec.flags ?? [])]);
  const unknown = options.find((o) => !allowed.has(o));
  if (unknown !== undefined) return { kind: 'usage_error', text: `llais: unknown option ${unknown} for 'llais ${form}'\n${usageOf([form])}` };
  return { kind: 'run' };
}
