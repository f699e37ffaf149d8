/**
 * The operator's account commands, run by `llais keys …` and `llais credits …` against the same
 * data directory as the server (SQLite in WAL mode lets both use it at once; the server reads keys
 * and balances through the database, so changes count immediately):
 *
 *   keys create --account <id> [--plan <plan>]   a new key (printed once; only its hash is kept)
 *   keys list [--account <id>]
 *   keys revoke <key id>
 *   credits grant --account <id> <credits> [--note <text>]
 *   credits balance --account <id>
 *   credits history --account <id> [--limit N]
 *   webhooks secret [--account <id>] [--rotate]   the secret that signs the account's batch
 *                                                 webhooks (no --account: open mode's)
 */
import type { Config } from '../config.js';
import { openDatabase } from '../storage/database.js';
import { openSharedStores } from '../storage/shared-stores.js';
import { generateWebhookSecret } from '../batch/webhook-signature.js';
import { OPEN_MODE_ACCOUNT, openAccounts, type Accounts } from './accounts.js';
import { generateApiKey } from './api-key.js';
import { DEFAULT_ACCOUNT_PLAN } from './plans.js';

const ACCOUNT_ID = /^[A-Za-z0-9][\w.@-]{0,127}$/;
const DEFAULT_HISTORY_ROWS = 50;

export const ACCOUNT_COMMANDS_USAGE =
  '       llais keys create --account <id> [--plan free|starter|pro|enterprise|…]\n' +
  '       llais keys list [--account <id>]    llais keys revoke <key id>\n' +
  '       llais credits grant --account <id> <credits> [--note <text>]\n' +
  '       llais credits balance --account <id>    llais credits history --account <id> [--limit N]\n' +
  '       llais webhooks secret [--account <id>] [--rotate]   (no --account: the open-mode secret)\n';

interface Args { options: Map<string, string>; positional: string[] }

function parseArgs(args: string[]): Args {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) positional.push(a);
    else {
      // --rotate is the one flag without a value.
    if (a === '--rotate') {
      options.set('rotate', 'yes');
      continue;
    }
    const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      options.set(a.slice(2), v);
    }
  }
  return { options, positional };
}

async function accountOf(args: Args, accounts: Accounts, mustExist: boolean): Promise<string> {
  const id = args.options.get('account');
  if (!id || !ACCOUNT_ID.test(id)) throw new Error('--account <id> is required: letters, digits, and . _ @ - (at most 128)');
  if (mustExist && !(await accounts.accounts.get(id))) throw new Error(`no account '${id}' (llais keys create --account ${id} makes one)`);
  return id;
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

/** Runs `llais keys|credits|webhooks <sub> …`; throws with a message for the CLI to print on misuse. */
export async function runAccountsCommand(config: Config, command: 'keys' | 'credits' | 'webhooks', sub: string | undefined, rest: string[]): Promise<void> {
  const db = openDatabase(config.dataDir);
  try {
    // With LLAIS_DATABASE_URL the accounts are in Postgres, where every node reads them.
    const stores = await openSharedStores(config.cluster.databaseUrl ?? '', db);
    try {
      await accountsCommand(openAccounts(config, db, {}, stores), command, sub, rest);
    } finally {
      await stores.close();
    }
  } finally {
    db.close();
  }
}

async function accountsCommand(accounts: Accounts, command: 'keys' | 'credits' | 'webhooks', sub: string | undefined, rest: string[]): Promise<void> {
  const args = parseArgs(rest);
  if (command === 'keys') await keysCommand(accounts, sub, args);
  else if (command === 'credits') await creditsCommand(accounts, sub, args);
  else await webhooksCommand(accounts, sub, args);
}

async function keysCommand(a: Accounts, sub: string | undefined, args: Args): Promise<void> {
  if (sub === 'create') {
    const id = await accountOf(args, a, false);
    const plan = args.options.get('plan');
    if (plan !== undefined && !a.plans.has(plan)) throw new Error(`no plan '${plan}'; plans: ${[...a.plans.keys()].join(', ')}`);
    const { account, created } = await a.accounts.ensure(id, plan ?? DEFAULT_ACCOUNT_PLAN);
    if (!created && plan !== undefined && plan !== account.plan) await a.accounts.setPlan(id, plan);
    const effective = plan ?? account.plan;
    const grant = created ? (a.plans.get(effective)?.grantCredits ?? 0) : 0;
    if (grant > 0) await a.ledger.grant(id, grant, `plan ${effective} bonus`);
    const key = generateApiKey();
    const info = await a.keys.add(id, key);
    out(key);
    process.stderr.write(`key ${info.id} for account ${id} (plan ${effective}${created ? ', new account' : ''}${grant > 0 ? `, ${grant} credits granted` : ''}); it is shown only this once\n`);
    return;
  }
  if (sub === 'list') {
    const only = args.options.get('account');
    const plans = new Map((await a.accounts.list()).map((acc) => [acc.id, acc.plan]));
    out('id\tprefix\taccount\tplan\tcreated\trevoked');
    for (const k of await a.keys.list(only)) out(`${k.id}\t${k.prefix}…\t${k.accountId}\t${plans.get(k.accountId) ?? '?'}\t${when(k.createdAt)}\t${when(k.revokedAt)}`);
    return;
  }
  if (sub === 'revoke') {
    const id = Number(args.positional[0]);
    if (!Number.isInteger(id) || id <= 0) throw new Error('usage: llais keys revoke <key id> (the id column of llais keys list)');
    if (!(await a.keys.revoke(id))) throw new Error(`no active key with id ${id}`);
    out(`key ${id} revoked`);
    return;
  }
  throw new Error(`unknown command: llais keys ${sub ?? ''}\n${ACCOUNT_COMMANDS_USAGE}`);
}

async function creditsCommand(a: Accounts, sub: string | undefined, args: Args): Promise<void> {
  if (sub === 'grant') {
    const id = await accountOf(args, a, true);
    const credits = Number(args.positional[0]);
    if (!Number.isInteger(credits) || credits === 0) throw new Error('usage: llais credits grant --account <id> <credits> (a whole number; negative takes credits away)');
    await a.ledger.grant(id, credits, args.options.get('note') ?? null);
    out(`${id}: ${credits > 0 ? '+' : ''}${credits}, balance ${await a.ledger.balance(id)}`);
    return;
  }
  if (sub === 'balance') {
    const id = await accountOf(args, a, true);
    out(`${id}: ${await a.ledger.balance(id)}`);
    return;
  }
  if (sub === 'history') {
    const id = await accountOf(args, a, true);
    const limit = Number(args.options.get('limit') ?? DEFAULT_HISTORY_ROWS);
    if (!Number.isInteger(limit) || limit <= 0) throw new Error('--limit must be a whole number above 0');
    out('id\twhen\tdelta\tkind\tref\tnote');
    for (const e of await a.ledger.history(id, limit)) out(`${e.id}\t${when(e.createdAt)}\t${e.delta > 0 ? '+' : ''}${e.delta}\t${e.kind}\t${e.ref ?? '-'}\t${e.note ?? ''}`);
    out(`balance ${await a.ledger.balance(id)}`);
    return;
  }
  throw new Error(`unknown command: llais credits ${sub ?? ''}\n${ACCOUNT_COMMANDS_USAGE}`);
}

async function webhooksCommand(a: Accounts, sub: string | undefined, args: Args): Promise<void> {
  if (sub !== 'secret') throw new Error(`unknown command: llais webhooks ${sub ?? ''}\n${ACCOUNT_COMMANDS_USAGE}`);
  const id = args.options.has('account') ? await accountOf(args, a, true) : OPEN_MODE_ACCOUNT;
  const rotate = args.options.has('rotate');
  out(await (rotate ? a.webhookSecrets.rotate(id, generateWebhookSecret()) : a.webhookSecrets.secretOf(id)));
  if (rotate) process.stderr.write(`new webhook secret for ${id}; webhooks are signed with it from now on\n`);
}
