/** One voice-chat turn as asked for, whichever encoding (JSON or multipart) it came in. */
import type { SttFileAudio } from '../stt/service.js';

/** What the user said: typed, or recorded (an upload already on local disk). */
export type UserInput = { kind: 'text'; text: string } | { kind: 'audio'; audio: SttFileAudio };

export interface VoiceChatRequest {
  input: UserInput;
  voice?: string;
  ttsModel?: string;
  /** `undefined`: not sent (a continued conversation keeps its prompt); `null`: sent empty. */
  systemPrompt?: string | null;
  conversationId?: string;
}
