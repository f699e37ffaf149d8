/**
 * The playground's entry: tab switching, the API key field, and `window.llaisPlayground`, the
 * small status object each tab keeps current (what played, what was heard), for people poking
 * at the page in devtools and for test/e2e-playground.test.ts.
 */
import { apiKey, setApiKey } from './api.js';
import { setupLive } from './live.js';
import { setupSpeak } from './speak.js';
import { setupTranscribe } from './transcribe.js';

const status = {
  speak: { firstAudioMs: null, samplesReceived: 0, samplesPlayed: 0, words: [], done: false, error: null },
  transcribe: { text: null, words: [], recordedMs: 0, error: null },
  live: { connected: false, userTranscripts: [], replyTranscripts: [], samplesPlayed: 0, bargeIns: 0, truncations: [], error: null },
};
window.llaisPlayground = status;

function showTab(name) {
  for (const b of document.querySelectorAll('[role="tab"]')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const p of document.querySelectorAll('[role="tabpanel"]')) p.hidden = p.id !== `tab-${name}`;
  history.replaceState(null, '', `#${name}`);
}

for (const b of document.querySelectorAll('[role="tab"]')) b.addEventListener('click', () => showTab(b.dataset.tab));
const initial = location.hash.slice(1);
if (['speak', 'transcribe', 'live'].includes(initial)) showTab(initial);

const keyField = document.getElementById('api-key');
keyField.value = apiKey();
keyField.addEventListener('change', () => setApiKey(keyField.value.trim()));

setupSpeak(status.speak);
setupTranscribe(status.transcribe);
setupLive(status.live);
