/**
 * Voice-chat conversations and their messages. The interface is what the turn sees; SQLite is
 * the first implementation. A turn is written whole or not at all, so a failed turn leaves no
 * user message without its reply (and no conversation without messages).
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';

export type ConversationRole = 'user' | 'assistant';

export interface Conversation {
  id: string;
  systemPrompt: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ConversationMessage {
  seq: number;
  role: ConversationRole;
  content: string;
  createdAt: number;
}

/** A conversation with its messages, oldest first: what a turn reads, in one store call. */
export interface StoredConversation extends Conversation {
  messages: ConversationMessage[];
}

export interface CompletedTurn {
  /** An existing conversation's id, or a fresh one from `newConversationId()`. */
  conversationId: string;
  /** `undefined` keeps the stored prompt; a string (or null) replaces it. */
  systemPrompt: string | null | undefined;
  userText: string;
  assistantText: string;
}

export interface ConversationStore {
  /** The conversation and all its messages (one query where the store is remote: it runs every turn). */
  get(id: string): Promise<StoredConversation | undefined>;
  /** Creates the conversation when it does not exist yet, then appends both messages, in one transaction. */
  saveTurn(turn: CompletedTurn): Promise<void>;
}

/** `conv_` and 24 hex digits: 96 random bits, as unguessable as a result uuid. */
export function newConversationId(): string {
  return `conv_${randomBytes(12).toString('hex')}`;
}

interface ConversationRow { id: string; system_prompt: string | null; created_at: number; updated_at: number }
export interface MessageRow { seq: number; role: ConversationRole; content: string; created_at: number }

export function messageOf(r: MessageRow): ConversationMessage {
  return { seq: r.seq, role: r.role, content: r.content, createdAt: r.created_at };
}

export class SqliteConversationStore implements ConversationStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      get: db.prepare('SELECT * FROM conversations WHERE id = ?'),
      messages: db.prepare('SELECT seq, role, content, created_at FROM conversation_messages WHERE conversation_id = ? ORDER BY seq'),
      insert: db.prepare('INSERT INTO conversations (id, system_prompt, created_at, updated_at) VALUES (?, ?, ?, ?)'),
      touch: db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?'),
      setPrompt: db.prepare('UPDATE conversations SET system_prompt = ? WHERE id = ?'),
      lastSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM conversation_messages WHERE conversation_id = ?'),
      append: db.prepare('INSERT INTO conversation_messages (conversation_id, seq, role, content, created_at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  async get(id: string): Promise<StoredConversation | undefined> {
    const r = this.stmts.get.get(id) as ConversationRow | undefined;
    if (!r) return undefined;
    const messages = (this.stmts.messages.all(id) as MessageRow[]).map(messageOf);
    return { id: r.id, systemPrompt: r.system_prompt, createdAt: r.created_at, updatedAt: r.updated_at, messages };
  }

  async saveTurn(turn: CompletedTurn): Promise<void> {
    // One transaction: the sequence numbers are read and used without another turn between.
    this.db.transaction(() => {
      const now = Date.now();
      const exists = this.stmts.touch.run(now, turn.conversationId).changes > 0;
      if (!exists) this.stmts.insert.run(turn.conversationId, turn.systemPrompt ?? null, now, now);
      else if (turn.systemPrompt !== undefined) this.stmts.setPrompt.run(turn.systemPrompt, turn.conversationId);
      const last = (this.stmts.lastSeq.get(turn.conversationId) as { seq: number }).seq;
      this.stmts.append.run(turn.conversationId, last + 1, 'user', turn.userText, now);
      this.stmts.append.run(turn.conversationId, last + 2, 'assistant', turn.assistantText, now);
    })();
  }
}
