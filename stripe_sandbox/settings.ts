import { type Engine } from './engine.js'

/*
 * Sandbox-wide timings that Stripe does not pin down for test mode. Each
 * platform (API key) may override them through
 * POST /v1/test_helpers/sandbox/settings, so parallel tests never see each
 * other's choices; the overrides are kept on the platform account and saved
 * with the state file.
 */

export interface SandboxSettings {
  /** business days an ACH debit stays `processing` before it succeeds or fails */
  achProcessingDays: number
  /** sandbox seconds an asynchronous account verification takes */
  verificationDelaySeconds: number
}

/** A few seconds, as in Stripe's test mode. */
export const VERIFICATION_DELAY_SECONDS = 3

/** "A payment typically takes 4 business days" (Stripe's ACH Direct Debit guide). */
export const ACH_PROCESSING_DAYS = 4

const DEFAULTS: SandboxSettings = {
  achProcessingDays: ACH_PROCESSING_DAYS,
  verificationDelaySeconds: VERIFICATION_DELAY_SECONDS,
}

const engineDefaults = new WeakMap<Engine, SandboxSettings>()

/** Sets the defaults of one sandbox (from startSandbox options). */
export function configureSettings(engine: Engine, settings: Partial<SandboxSettings>): void {
  const defined = Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined)
  ) as Partial<SandboxSettings>
  for (const [key, value] of Object.entries(defined)) {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 10_000_000) {
      throw new Error(`Stripe sandbox: ${key} must be a non-negative integer`)
    }
  }
  engineDefaults.set(engine, { ...DEFAULTS, ...defined })
}

/** The settings in force for a platform: its overrides over the sandbox defaults. */
export function settingsOf(engine: Engine, plat: string): SandboxSettings {
  const defaults = engineDefaults.get(engine) ?? DEFAULTS
  const overrides: Partial<SandboxSettings> = engine.store.get(plat)?.x.settings ?? {}
  return { ...defaults, ...overrides }
}

/** Stores a platform's overrides (validated by the endpoint). */
export function overrideSettings(
  engine: Engine,
  plat: string,
  overrides: Partial<SandboxSettings>
): SandboxSettings {
  const platform = engine.store.get(plat)!
  platform.x.settings = { ...platform.x.settings, ...overrides }
  engine.markDirty()
  return settingsOf(engine, plat)
}
