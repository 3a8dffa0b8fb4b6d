import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../agent/journal.js';

describe('journal', () => {
  it('appends durable JSON lines and reads them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = Journal.create(dir);
    j.append('job', { data: { jobId: 'x' } });
    j.append('intent', { step: 'settle' });
    j.close();
    const entries = Journal.read(join(dir, 'journal.jsonl'));
    expect(entries.map((e) => [e.n, e.type, e.step])).toEqual([
      [1, 'job', undefined],
      [2, 'intent', 'settle'],
    ]);
  });

  it('refuses to create a second journal in the same directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    Journal.create(dir).close();
    expect(() => Journal.create(dir)).toThrow(/cannot create/);
  });

  it('survives a torn last line from a crash and keeps appending on a fresh line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = Journal.create(dir);
    j.append('job', { data: { jobId: 'x' } });
    j.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"n":2,"at":"2026-');
    const again = Journal.open(dir);
    expect(again.entries).toHaveLength(1);
    again.append('resume');
    again.close();
    const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['job', 'resume']);
  });

  it('refuses a journal damaged in the middle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = Journal.create(dir);
    j.close();
    appendFileSync(join(dir, 'journal.jsonl'), 'garbage\n{"n":2,"at":"x","type":"note"}\n');
    expect(() => Journal.read(join(dir, 'journal.jsonl'))).toThrow(/damaged/);
  });
});
