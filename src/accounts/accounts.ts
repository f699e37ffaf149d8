/**
 * Everything the accounts feature needs, built once from the config and the database: the
 * stores, the auth mode, the gate and billing. The server and the admin CLI both start here.
 */
import type { Config } from '../config.js';
import type { Db } from '../storage/database.js';
import { sqliteStores, type SharedStores } from '../storage/shared-stores.js';
import type { AccountStore, KeyStore, WebhookSecretStore } from './account-store.js';
import { AuthModeSwitch, authSetting, type AuthSetting } from './auth-mode.js';
import { Billing, type BillingOptions } from './billing.js';
import { trustedProxySet } from './client-ip.js';
import { AccessGate } from './gate.js';
import type { LedgerStore } from './ledger.js';
import { MemoryLimitStore, type LimitStore } from './limit-store.js';
import type { OwnershipStore } from './ownership.js';
import { resolvePlans, type Plan } from './plans.js';
import type { PronunciationStore } from './pronunciation-store.js';

/** The id that open mode's single user (no keys) owns things under: its saved pronunciations, its webhook secret. */
export const OPEN_MODE_ACCOUNT = '_open';

export interface Accounts {
  setting: AuthSetting;
  mode: AuthModeSwitch;
  plans: ReadonlyMap<string, Plan>;
  accounts: AccountStore;
  keys: KeyStore;
  ledger: LedgerStore;
  limits: LimitStore;
  ownership: OwnershipStore;
  pronunciations: PronunciationStore;
  /** Secrets that sign each account's batch webhooks. */
  webhookSecrets: WebhookSecretStore;
  gate: AccessGate;
  billing: Billing;
  /** Addresses whose X-Forwarded-For is believed. */
  trustedProxies: ReadonlySet<string>;
}

/**
 * Builds the accounts services; throws on a malformed `auth` or `plans` setting. `stores`: where
 * accounts, keys, the ledger, webhook secrets, ownership and saved pronunciations live (Postgres
 * in cluster mode); default `db`.
 */
export function openAccounts(config: Config, db: Db, hooks: Pick<BillingOptions, 'onSpent'> = {}, stores: Pick<SharedStores, 'accounts' | 'keys' | 'ledger' | 'webhookSecrets' | 'ownership' | 'pronunciations'> = sqliteStores(db)): Accounts {
  const setting = authSetting(config.auth);
  const plans = resolvePlans(config.plans);
  const { accounts, keys, ledger } = stores;
  const limits = new MemoryLimitStore();
  const mode = new AuthModeSwitch(setting, keys);
  return {
    setting,
    mode,
    plans,
    accounts,
    keys,
    ledger,
    limits,
    ownership: stores.ownership,
    pronunciations: stores.pronunciations,
    webhookSecrets: stores.webhookSecrets,
    gate: new AccessGate({ accounts, keys, limits, plans, mode }),
    billing: new Billing(ledger, limits, hooks),
    trustedProxies: trustedProxySet(config.trustedProxies),
  };
}
