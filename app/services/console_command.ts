import os from 'node:os'
import { BaseCommand } from '@adonisjs/core/ace'
import { errors as vineErrors } from '@vinejs/vine'
import { DomainError } from '#exceptions/domain_error'
import { AmountError } from '#money/amounts'
import { canPrompt } from '#services/console_prompts'

/**
 * What every admin command shares: who is acting, one-line failures with exit
 * code 1, and the confirmation that guards every change.
 */

/** "console:<os user>", the actor of every change made from the console */
export function consoleActor() {
  let name: string
  try {
    name = os.userInfo().username
  } catch {
    name = process.env.USER || process.env.USERNAME || 'unknown'
  }
  return `console:${name}`
}

/** The command itself refuses (bad input, no confirmation): one line, exit code 1 */
export class ConsoleRefusal extends Error {}

function firstLine(text: string) {
  return text.split('\n')[0].trim()
}

/**
 * Any error as the one line an admin reads (never a stack trace). Stripe's
 * error classes are imported only when there is an error to describe: a
 * command that never reaches Stripe does not load the SDK.
 */
export async function failureLine(error: unknown): Promise<string> {
  if (
    error instanceof DomainError ||
    error instanceof AmountError ||
    error instanceof ConsoleRefusal
  ) {
    return error.message
  }
  if (error instanceof vineErrors.E_VALIDATION_ERROR) {
    return (error.messages as { message: string }[]).map((entry) => entry.message).join(' ')
  }
  const { describeStripeError, isStripeError } = await import('#stripe/errors')
  if (isStripeError(error)) {
    return describeStripeError(error).message
  }
  if (error instanceof Error) {
    return `Unexpected error: ${firstLine(error.message)}`
  }
  return `Unexpected error: ${firstLine(String(error))}`
}

/**
 * Base of the admin commands: `perform()` does the work; whatever it throws
 * becomes one `error` line and exit code 1.
 */
export abstract class ConsoleCommand extends BaseCommand {
  protected abstract perform(): Promise<void>

  /** Writes to stdout itself, whatever the logger's renderer is (see #keepStdoutForJson) */
  #stdout: ((text: string) => void) | null = null

  async run() {
    const restore = this.#keepStdoutForJson()
    try {
      await this.perform()
    } catch (error) {
      this.fail(await failureLine(error))
    } finally {
      restore()
    }
  }

  /** Whether the command was asked for --json */
  protected get jsonOutput() {
    return (this as unknown as { json?: boolean }).json === true
  }

  /**
   * With --json, stdout carries the JSON document alone (so `| jq` works):
   * every other line the command prints (summaries, notes, warnings) goes
   * to stderr for the duration of the command.
   */
  #keepStdoutForJson() {
    if (!this.jsonOutput) {
      return () => {}
    }
    const logger = this.logger
    const renderer = logger.getRenderer()
    this.#stdout = (text) => renderer.log(text)
    logger.useRenderer({
      getLogs: () => renderer.getLogs(),
      flushLogs: () => renderer.flushLogs(),
      log: (message) => renderer.logError(message),
      logError: (message) => renderer.logError(message),
      logUpdate: (message) => renderer.logError(message),
      logUpdatePersist: () => {},
    })
    return () => {
      logger.useRenderer(renderer)
      this.#stdout = null
    }
  }

  protected fail(message: string) {
    this.logger.error(message)
    this.exitCode = 1
  }

  protected get actor() {
    return consoleActor()
  }

  /**
   * Prints the summary, then asks. With --force nothing is asked; without a
   * terminal (cron, a pipe) and without --force the command refuses, so
   * nothing ever changes unconfirmed.
   */
  protected async confirmOrRefuse(options: {
    force: boolean
    summary: string[]
    question: string
    flagHint?: string
  }) {
    for (const line of options.summary) {
      this.logger.info(line)
    }
    if (options.force) {
      return
    }
    // A question would land in the JSON read by the next program of the pipe
    const stdoutIsPiped = this.jsonOutput && !process.stdout.isTTY
    if (!canPrompt(this) || (stdoutIsPiped && this.prompt.traps.prompts.size === 0)) {
      throw new ConsoleRefusal(
        `No terminal to confirm on: nothing was done. Re-run with --force to ${options.flagHint ?? 'go ahead'}.`
      )
    }
    if (!(await this.prompt.confirm(options.question))) {
      throw new ConsoleRefusal('Not confirmed: nothing was done.')
    }
  }

  /** The JSON document of --json: the only thing written to stdout */
  protected printJson(value: unknown) {
    const text = JSON.stringify(value, null, 2)
    if (this.#stdout) {
      this.#stdout(text)
    } else {
      this.logger.log(text)
    }
  }
}
