import { Prng } from '../../simulator/prng.js';
import type { Device } from './device.js';

/**
 * Life going on around the terminal while a technician works: now and then a customer taps a
 * card on a channel that is still on, and a mobile terminal's battery drains. Rare on purpose
 * (tens of seconds apart): enough for an agent to meet events it must ignore (s.6.19), never
 * enough to disturb a benchmark. Timers are unref'd: ambience never keeps a process alive.
 */
const CARD_MEAN_MS = 40_000;
const BATTERY_STEP_MS = 90_000;

export class Ambient {
  private readonly rng: Prng;
  private cardTimer: NodeJS.Timeout | undefined;
  private batteryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly device: Device) {
    this.rng = Prng.from(device.options.seed, 'ambient');
  }

  start(): void {
    this.scheduleCard();
    if (this.device.battery) {
      this.batteryTimer = setInterval(() => this.drain(), BATTERY_STEP_MS);
      this.batteryTimer.unref();
    }
  }

  stop(): void {
    clearTimeout(this.cardTimer);
    clearInterval(this.batteryTimer);
  }

  private scheduleCard(): void {
    this.cardTimer = setTimeout(
      () => {
        const on = [...this.device.channels].filter(([, enabled]) => enabled).map(([name]) => name);
        if (on.length > 0) this.device.link.event('CARD', { channel: this.rng.pick(on) });
        this.scheduleCard();
      },
      this.rng.gap(1 / CARD_MEAN_MS),
    );
    this.cardTimer.unref();
  }

  private drain(): void {
    const battery = this.device.battery;
    if (!battery || battery.charging || battery.percent <= 5) return;
    this.device.battery = { ...battery, percent: battery.percent - 1 };
    this.device.persist();
    this.device.link.event('BATTERY', this.device.battery);
  }
}
