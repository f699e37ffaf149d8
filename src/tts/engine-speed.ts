/**
 * The `speed` every pool-backed engine accepts: the OpenAI range, 0.25 to 4 (past it Piper's
 * length_scale leaves what VITS durations were trained around; Kokoro's duration predictor copes
 * with all of it); a value that is no number is a 400.
 */
import { invalidParam } from '../errors.js';

const MIN_SPEED = 0.25;
const MAX_SPEED = 4;

export function engineSpeed(speed: number): number {
  if (!Number.isFinite(speed)) throw invalidParam('speed', 'speed must be a number');
  return Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed));
}
