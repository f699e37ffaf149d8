/** One voice-chat turn as asked for, whichever encoding (JSON or multipart) it came in. */
import type { UploadedFile } from '../http/body.js';

/** What the user said: typed, or recorded. */
export type UserInput = { kind: 'text'; text: string } | { kind: 'audio'; file: UploadedFile };

export interface VoiceChatRequest {
  input: UserInput;
  voice?: string;
  ttsModel?: string;
  /** `undefined`: not sent (a continued conversation keeps its prompt); `null`: sent empty. */
  systemPrompt?: string | null;
  conversationId?: string;
}
