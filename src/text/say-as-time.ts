/**
 * `<say-as interpret-as="time">`: "14:30", "2:30pm", "2 p.m.", "14h30", "1430"; seconds are
 * accepted and not spoken. English is spoken on the 12-hour clock ("two thirty PM") unless
 * `format` asks for 24 hours (`hms24`: "fourteen thirty"). Other languages get "14:30",
 * which eSpeak NG reads in each language's own way ("vierzehn Uhr dreißig").
 */
import { invalidSsml, quote } from './invalid-ssml.js';
import { isEnglish } from './language-tag.js';
import { integerWords } from './number-words.js';

const TIME = /^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?(?:\s*[:.]\s*(\d{2}))?\s*([ap])?\.?\s*(m\.?)?$/i;
const MILITARY = /^(\d{2})(\d{2})$/;

function minuteWords(minute: number): string {
  return minute < 10 ? `oh ${integerWords(minute)}` : integerWords(minute);
}

/** Renders a time of day. */
export function sayTime(content: string, format: string | undefined, language: string): string {
  const military = MILITARY.exec(content);
  const match = military ? null : TIME.exec(content);
  if (!military && (!match || (match[5] && !match[4]))) {
    throw invalidSsml(`say-as time: ${quote(content)} is not a time such as 14:30 or 2:30pm`);
  }
  let hour = Number(military ? military[1] : match![1]);
  const minute = Number((military ? military[2] : match![2]) ?? 0);
  const seconds = Number(match?.[3] ?? 0);
  const meridiem = match?.[4]?.toLowerCase() as 'a' | 'p' | undefined;
  // A bare hour is a number, not a time, unless it says am/pm.
  if (match && match[2] === undefined && !meridiem) {
    throw invalidSsml(`say-as time: ${quote(content)} needs minutes or am/pm`);
  }
  const hourValid = meridiem ? hour >= 1 && hour <= 12 : hour <= 23;
  if (!hourValid || minute > 59 || seconds > 59) throw invalidSsml(`say-as time: ${quote(content)} is not a valid time`);
  if (meridiem) hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);

  if (!isEnglish(language)) return `${hour}:${String(minute).padStart(2, '0')}`;
  if (format?.includes('24')) {
    return `${integerWords(hour)} ${minute === 0 ? 'hundred' : minuteWords(minute)}`;
  }
  const spokenHour = integerWords(hour % 12 || 12);
  const period = hour < 12 ? 'AM' : 'PM';
  return minute === 0 ? `${spokenHour} ${period}` : `${spokenHour} ${minuteWords(minute)} ${period}`;
}
