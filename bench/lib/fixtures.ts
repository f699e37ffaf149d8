/** The inputs every benchmark shares, fixed so that runs compare with each other. */

/**
 * Exactly 200 characters of plain English in three sentences: the sentence splitter makes a
 * short first piece and one longer second piece, as for a typical assistant reply.
 */
export const TEXT_200 =
  'The morning train left the station on time. Passengers read, talked, or watched the green hills roll past the windows. By noon the sky had cleared, and the whole valley shone in the bright autumn sun.';

/** The OpenAI voice name our clients send; the server maps it to the default English voice. */
export const VOICE = 'alloy';
/** An OpenAI model name; it means "the server's default model". */
export const OPENAI_MODEL = 'tts-1';
