/**
 * A Realtime session's conversation: its items in order (user and assistant messages, function
 * calls and their outputs), and the chat messages the LLM is sent. It is the only writer of its
 * items: the session and response runs hand it new items and replacements, and what `get`
 * returns is read-only.
 */
import { ApiError, invalidParam } from '../../errors.js';
import { recentHistory } from '../../llm/history.js';
import type { ChatMessage, ChatToolCall } from '../../llm/types.js';
import { itemText, type Item } from './items.js';
import { newId } from './protocol.js';

/** Conversations longer than this drop their oldest items, as a long call would otherwise grow without end. */
const MAX_ITEMS = 500;

export class Conversation {
  readonly id = newId('conv');
  private readonly items: Item[] = [];

  get length(): number {
    return this.items.length;
  }

  get lastId(): string | null {
    return this.items.at(-1)?.id ?? null;
  }

  get(id: string): Readonly<Item> | undefined {
    return this.items.find((i) => i.id === id);
  }

  /**
   * Inserts `item` after `previousItemId` (null: at the start; undefined: at the end) and returns
   * the id of the item now before it.
   */
  add(item: Item, previousItemId?: string | null): string | null {
    if (this.get(item.id)) throw invalidParam('item.id', `An item with id '${item.id}' already exists in the conversation.`, 'duplicate_item_id');
    let at = this.items.length;
    if (previousItemId === null) at = 0;
    else if (previousItemId !== undefined) {
      const i = this.items.findIndex((x) => x.id === previousItemId);
      if (i < 0) throw new ApiError('item_not_found', `No item with id '${previousItemId}' in the conversation.`, 'previous_item_id');
      at = i + 1;
    }
    this.items.splice(at, 0, structuredClone(item));
    if (this.items.length > MAX_ITEMS) this.items.splice(0, this.items.length - MAX_ITEMS);
    return at === 0 ? null : this.items[at - 1]!.id;
  }

  /** Replaces the item with `item`'s id (a reply finished, a transcript arrived); false if it is gone. */
  update(item: Item): boolean {
    const i = this.items.findIndex((x) => x.id === item.id);
    if (i < 0) return false;
    this.items[i] = structuredClone(item);
    return true;
  }

  /** Sets the transcript of a user message's audio part. */
  setInputTranscript(id: string, contentIndex: number, transcript: string): void {
    const item = this.items.find((x) => x.id === id);
    const part = item?.type === 'message' ? item.content[contentIndex] : undefined;
    if (part?.type === 'input_audio') part.transcript = transcript;
  }

  /** An assistant audio message cut to what was heard (barge-in or the client's truncate). */
  truncateAudio(id: string, transcript: string): void {
    const item = this.items.find((x) => x.id === id);
    if (item?.type === 'message') item.content = [{ type: 'output_audio', transcript }];
  }

  delete(id: string): boolean {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /**
   * The conversation as chat messages after the session's instructions: the most recent whole
   * turns within `maxHistoryChars` (as voice chat sends), so a long call neither overflows the
   * model's context nor grows the cost of every reply.
   */
  toChatMessages(instructions: string, maxHistoryChars?: number): ChatMessage[] {
    const history = recentHistory(chatMessagesOf(this.items), maxHistoryChars);
    return instructions.trim() ? [{ role: 'system', content: instructions }, ...history] : history;
  }
}

/** Items as chat messages, in order. */
export function chatMessagesOf(items: readonly Item[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const item of items) {
    switch (item.type) {
      case 'message': {
        const text = itemText(item);
        if (item.role === 'assistant') messages.push({ role: 'assistant', content: text });
        else if (item.role === 'system') messages.push({ role: 'system', content: text });
        else if (text) messages.push({ role: 'user', content: text });
        break;
      }
      case 'function_call': {
        const call: ChatToolCall = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        const last = messages.at(-1);
        // Calls made in one reply travel in one assistant message.
        if (last && last.role === 'assistant' && last.tool_calls) last.tool_calls.push(call);
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
        break;
    }
  }
  return messages;
}
