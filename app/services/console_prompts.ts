import type { BaseCommand } from '@adonisjs/core/ace'

/**
 * Whether a command may ask questions: a person at a terminal, or a test that
 * trapped the prompt. Cron jobs and pipes get no prompt (and must pass --force
 * or the values as flags).
 */
export function canPrompt(command: BaseCommand) {
  return Boolean(process.stdin.isTTY) || command.prompt.traps.prompts.size > 0
}
