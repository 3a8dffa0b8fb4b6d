import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVerify } from '../agent/run/verify.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { SIMULATED_BAND } from '../wipe/certificate/simulated.js';
import { runJob, testPki } from './helpers/job-harness.js';
import { pdfPages } from './helpers/pdf-text.js';

/** A job on the simulated terminal: measured PASS, and labelled simulated everywhere it is shown. */

const root = await mkdtemp(join(tmpdir(), 'posdecom-simjob-'));
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('the certificate of a job on a simulated terminal', () => {
  it('is a PASS that says simulated: device fields, store media, the PDF band on every page and verify', async () => {
    const sim = await SimulatedTerminal.create({ model: 'unattended', seed: 73 });
    const dir = join(root, 'job');
    try {
      const run = await runJob({ peer: sim, dir });
      expect(run.exitCode).toBe(0);
      expect(run.summary).toMatchObject({ overall: 'PASS', simulated: true });
      expect(run.output).toContain(`[${SIMULATED_BAND}]`);
    } finally {
      await sim.close();
    }
    const cert = JSON.parse(await readFile(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
    expect(cert.device).toMatchObject({ simulated: true, transport: 'sim', protocol: 'posdecom-line/1.1' });
    expect(cert.steps.find((s) => s.step === 'identify')?.evidence.simulated).toBe(true);
    // The unattended profile reports no medium for config: the certificate says so, it does not guess.
    expect(Object.fromEntries(cert.device.stores.map((s) => [s.name, s.media]))).toEqual({
      journal: 'flash',
      saf: 'flash',
      settlements: 'flash',
      logs: 'flash',
      config: 'UNKNOWN',
    });
    // Overwrite (no crypto erase on this profile) through the ordinary write path: Clear.
    expect(cert.sanitization.methodType).toBe('Clear');
    expect(cert.backup.dataBackedUp).toBe('yes');

    const pages = await pdfPages(await readFile(join(dir, 'certificate.pdf')));
    for (const lines of pages) expect(lines).toContain(SIMULATED_BAND);

    let out = '';
    const code = await runVerify(
      { certificate: join(dir, 'certificate.json'), ca: (await testPki()).caCertPath, json: false },
      { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } },
    );
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe(SIMULATED_BAND);
  });
});
