/**
 * The conversation history an LLM is sent: the most recent messages up to about 8k tokens
 * (4 characters each), whole turns only, so a long conversation neither overflows a model's
 * context nor grows the cost of every turn without end. Voice chat and Realtime both use it.
 */
export const MAX_HISTORY_CHARS = 32_000;

/** The characters of a message that count against the budget. */
type Sized = { role: string; content: string | null };

export function recentHistory<M extends Sized>(messages: readonly M[], maxChars = MAX_HISTORY_CHARS): M[] {
  let chars = 0;
  let from = messages.length;
  while (from > 0) {
    const next = chars + (messages[from - 1]!.content?.length ?? 0);
    if (next > maxChars) break;
    chars = next;
    from--;
  }
  // Where something was cut, start on a user message, so the history never opens with a reply
  // (or a tool output) to something cut off.
  if (from > 0) while (from < messages.length && messages[from]!.role !== 'user') from++;
  return messages.slice(from);
}
