import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLanguage } from '../src/text/language.js';

describe('detectLanguage', () => {
  const sentences: [string, string][] = [
    ['en', 'The quick brown fox jumps over the lazy dog.'],
    ['en', 'Please read this paragraph aloud in a calm voice.'],
    ['fr', "Bonjour, comment allez-vous aujourd'hui ?"],
    ['de', 'Ich habe heute keine Zeit, weil ich arbeiten muss.'],
    ['es', '¿Dónde está la biblioteca? Necesito un libro.'],
    ['it', 'Mi piace molto la pizza con la mozzarella.'],
    ['cy', "Bore da, sut wyt ti heddiw? Dw i'n hoffi coffi."],
    ['cy', 'Mae hi wedi bod yn bwrw glaw drwy’r dydd yng Nghymru.'],
    ['ru', 'Привет, как у тебя дела сегодня?'],
    ['zh', '今天天气很好，我们去公园散步吧。'],
    ['ja', '今日はいい天気ですね。散歩に行きましょう。'],
    ['ko', '안녕하세요, 만나서 반갑습니다.'],
  ];
  for (const [language, text] of sentences) {
    it(`detects ${language}: ${text}`, () => assert.equal(detectLanguage(text), language));
  }
  it('falls back to English for short or letterless Latin text', () => {
    assert.equal(detectLanguage('Hello'), 'en');
    assert.equal(detectLanguage('Ciao'), 'en');
    assert.equal(detectLanguage(''), 'en');
    assert.equal(detectLanguage('12345 !!!'), 'en');
    assert.equal(detectLanguage('Call me at five.'), 'en');
  });
  it('decides single-language scripts even for short text', () => {
    assert.equal(detectLanguage('你好'), 'zh');
    assert.equal(detectLanguage('こんにちは'), 'ja');
    assert.equal(detectLanguage('Привет'), 'ru');
    assert.equal(detectLanguage('Καλημέρα'), 'el');
  });
  it('is not swayed by a stray foreign letter', () => {
    assert.equal(detectLanguage('The α particle was observed in the laboratory yesterday.'), 'en');
  });
});
