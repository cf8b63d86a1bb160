import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { ConsoleCommand } from '#services/console_command'
import { parseSince } from '#services/console_inputs'
import { reconcile, type Drift, type ReconcileReport } from '#actions/reconcile/reconcile'
import { fittedTable } from '#services/console_table'

/**
 * Compares local orders, refunds, debits and stored webhook events with
 * Stripe, lists every drift, and with --fix applies the transitions that are
 * missing (forward only). Exit code 1 while a drift remains.
 */
export default class StripeReconcile extends ConsoleCommand {
  static commandName = 'stripe:reconcile'
  static description =
    'Compare payments, refunds, transfers, debits and disputes with Stripe; --fix applies what is missing'
  static help = [
    'Checks every payment (or those created since --since): its status, captured',
    'and refunded amounts, fee and charge against its PaymentIntent; its lines',
    'against its status; its refunds; its transfers (amount, reversals,',
    'destination); contractor debits; webhook events stored but never applied;',
    'live PaymentIntents of our employers that no payment owns. Each difference',
    'is listed with what --fix does about it:',
    '  - stored events are applied, first (a malformed one is set aside);',
    '  - payments move forward to match their PaymentIntent (never backwards),',
    "    and their lines follow; refunded totals and missing ids follow Stripe's;",
    "    refunds made on Stripe's Dashboard are recorded;",
    "  - disputes move forward to match Stripe's (status, money withdrawn and",
    '    reinstated, evidence submitted); disputes never recorded are recorded;',
    "    contractors' shares not yet taken back or given back are;",
    "  - captures, releases, transfers and canceled lines' refunds the app had",
    '    decided but got no answer for are sent again with their own keys;',
    '  - pending payments, admin refunds and debits (Stripe answered, or not, and',
    '    the answer was never recorded) are looked up on Stripe: found, their',
    '    outcome is recorded; not found and older than 10 minutes, they never',
    '    reached Stripe and are closed (failed; an owed debit stays owed);',
    '    younger ones are left alone (a note);',
    '  - failed refunds and debits, and owed debits, found on Stripe after all',
    "    take Stripe's outcome;",
    '  - a live hold no payment of ours owns is canceled.',
    'Drifts that would move money or a payment backwards are left for a person.',
    'Exit code 0 when nothing is (left) out of line, 1 otherwise.',
  ]

  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Only records created since (ISO date, e.g. 2026-11-01)' })
  declare since?: string

  @flags.boolean({ description: 'Apply the fixes (after a confirmation, unless --force)' })
  declare fix: boolean

  @flags.boolean({ description: 'With --fix: do not ask for confirmation' })
  declare force: boolean

  @flags.boolean({ description: 'JSON instead of a table' })
  declare json: boolean

  @flags.boolean({ description: 'Print every table cell whole, wider than the terminal' })
  declare wide: boolean

  protected async perform() {
    const since = parseSince(this.since)
    const found = await reconcile({ since, fix: false, actor: this.actor })

    if (!this.fix || found.drifts.length === 0) {
      this.print(found, false)
      if (found.drifts.length > 0) {
        this.exitCode = 1
      }
      return
    }

    const fixable = found.drifts.filter((drift) => drift.fix).length
    if (fixable === 0) {
      this.print(found, false)
      this.exitCode = 1
      return
    }
    if (!this.json) {
      this.table(found.drifts, false)
    }
    await this.confirmOrRefuse({
      force: this.force,
      summary: [`${found.drifts.length} drift(s) found; ${fixable} can be fixed.`],
      question: `Apply ${fixable} fix(es)?`,
      flagHint: 'apply the fixes',
    })

    const fixed = await reconcile({ since, fix: true, actor: this.actor })
    this.print(fixed, true)
    if (fixed.drifts.some((drift) => !drift.fixed)) {
      this.exitCode = 1
    }
  }

  private print(report: ReconcileReport, fixing: boolean) {
    if (this.json) {
      this.printJson(report)
      return
    }
    const {
      payments,
      refunds,
      transfers,
      debits,
      events,
      payment_intents: intents,
      disputes,
    } = report.checked
    const checked =
      `${payments} payment(s), ${refunds} refund(s), ${transfers} transfer(s), ${debits} ` +
      `debit(s), ${disputes} dispute(s), ${events} stored event(s), ${intents} PaymentIntent(s) checked`
    for (const note of report.notes) {
      this.logger.info(note)
    }
    if (report.drifts.length === 0) {
      this.logger.success(`No drift: ${checked}.`)
      return
    }
    this.table(report.drifts, fixing)
    const fixed = report.drifts.filter((drift) => drift.fixed).length
    const left = report.drifts.length - fixed
    const message = fixing
      ? `${report.drifts.length} drift(s): ${fixed} fixed, ${left} left for a person (${checked}).`
      : `${report.drifts.length} drift(s) (${checked}); ` +
        `${report.drifts.filter((drift) => drift.fix).length} can be fixed with --fix.`
    if (left > 0) {
      this.logger.warning(message)
    } else {
      this.logger.success(message)
    }
  }

  private table(drifts: Drift[], fixing: boolean) {
    const table = fittedTable(this, this.wide)
    table.head(['Subject', 'Drift', 'Local', 'Stripe', 'Action'])
    for (const drift of drifts) {
      let action: string
      if (drift.fixed) {
        action = `fixed: ${drift.fix}`
      } else if (!drift.fix) {
        action = 'needs a person'
      } else {
        action = fixing ? `not fixed: ${drift.fix}` : `--fix: ${drift.fix}`
      }
      table.row([drift.subject, drift.problem, drift.local, drift.stripe, action])
    }
    table.render()
  }
}
