/**
 * Voice-chat conversations on Postgres (cluster mode): a conversation started on one node
 * continues on any other. A turn reads its conversation and messages in one query; a turn is
 * written in one transaction whose upsert locks the conversation's row, so two turns of one
 * conversation on two nodes number their messages one after the other.
 */
import { messageOf, type CompletedTurn, type ConversationRole, type ConversationStore, type StoredConversation } from '../../voice-chat/conversation-store.js';
import { inTransaction, type PgPool } from './pool.js';

interface JoinedRow {
  id: string;
  system_prompt: string | null;
  created_at: number;
  updated_at: number;
  /** Null on the one row of a conversation without messages (the LEFT JOIN). */
  seq: number | null;
  role: ConversationRole | null;
  content: string | null;
  message_created_at: number | null;
}

export class PgConversationStore implements ConversationStore {
  constructor(private readonly pool: PgPool) {}

  async get(id: string): Promise<StoredConversation | undefined> {
    const { rows } = await this.pool.query<JoinedRow>(
      `SELECT c.id, c.system_prompt, c.created_at, c.updated_at, m.seq, m.role, m.content, m.created_at AS message_created_at
         FROM conversations c LEFT JOIN conversation_messages m ON m.conversation_id = c.id
        WHERE c.id = $1 ORDER BY m.seq`,
      [id],
    );
    const first = rows[0];
    if (!first) return undefined;
    const messages = rows
      .filter((r) => r.seq !== null)
      .map((r) => messageOf({ seq: r.seq!, role: r.role!, content: r.content!, created_at: r.message_created_at! }));
    return { id: first.id, systemPrompt: first.system_prompt, createdAt: first.created_at, updatedAt: first.updated_at, messages };
  }

  async saveTurn(turn: CompletedTurn): Promise<void> {
    const now = Date.now();
    await inTransaction(this.pool, async (tx) => {
      // Created, or touched (and its prompt replaced when the turn sends one); the row stays locked to commit.
      await tx.query(
        `INSERT INTO conversations (id, system_prompt, created_at, updated_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at,
           system_prompt = CASE WHEN $4 THEN EXCLUDED.system_prompt ELSE conversations.system_prompt END`,
        [turn.conversationId, turn.systemPrompt ?? null, now, turn.systemPrompt !== undefined],
      );
      await tx.query(
        `INSERT INTO conversation_messages (conversation_id, seq, role, content, created_at)
         SELECT $1, last.seq + m.n, m.role, m.content, $4
           FROM (SELECT COALESCE(MAX(seq), 0) AS seq FROM conversation_messages WHERE conversation_id = $1) AS last,
                (VALUES (1, 'user', $2::text), (2, 'assistant', $3::text)) AS m(n, role, content)`,
        [turn.conversationId, turn.userText, turn.assistantText, now],
      );
    });
  }
}
