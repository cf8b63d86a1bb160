/*
| What admins run from the console (`node ace <command>`), for the admin's
| home page: grouped by what they are for, with the usage of README.md's
| "Ace commands". tests/functional/homes.spec.ts checks that every command in
| commands/ is here, so a new command cannot be forgotten.
*/

export interface ConsoleCommandHelp {
  name: string
  usage: string
  does: string
}

export interface ConsoleCommandGroup {
  title: string
  commands: ConsoleCommandHelp[]
}

export const CONSOLE_COMMAND_GROUPS: ConsoleCommandGroup[] = [
  {
    title: 'Orders and money',
    commands: [
      {
        name: 'orders:list',
        usage:
          'node ace orders:list [--status=a,b] [--employer=EMAIL] [--contractor=EMAIL] [--json]',
        does: 'Orders, newest first, with their status in plain words.',
      },
      {
        name: 'orders:show',
        usage: 'node ace orders:show <order> [--json]',
        does: 'One order: lines, payments, transfers, refunds, debits and its timeline.',
      },
      {
        name: 'orders:capture',
        usage: 'node ace orders:capture <order> [--amount=12.34]',
        does: 'Capture a held order, fully or partly.',
      },
      {
        name: 'orders:cancel',
        usage: 'node ace orders:cancel <order> [--line=7] [--reason=…]',
        does: 'Release a hold, or cancel and refund open lines of an order paid at once.',
      },
      {
        name: 'orders:refund',
        usage:
          'node ace orders:refund <order> [--line=7] [--amount=12.34] [--keep-fee] [--platform-covers]',
        does: 'Refund a captured order or line, fully or partly.',
      },
      {
        name: 'orders:transfer',
        usage: 'node ace orders:transfer <order> [--line=7]',
        does: "Send an approved line's payment to its contractor again after a failure.",
      },
      {
        name: 'holds:expire',
        usage: 'node ace holds:expire [--dry-run]',
        does: 'Settle card holds a day before Stripe would drop them.',
      },
      {
        name: 'lines:settle',
        usage: 'node ace lines:settle [--dry-run]',
        does: 'Cancel lines never accepted and approve deliveries left unapproved.',
      },
    ],
  },
  {
    title: 'Payment requests',
    commands: [
      {
        name: 'payment-requests:list',
        usage: 'node ace payment-requests:list [--status=open,overdue] [--limit=50] [--json]',
        does: 'Payment requests, newest first, with what is paid and what is due.',
      },
      {
        name: 'payment-requests:show',
        usage: 'node ace payment-requests:show <request> [--json]',
        does: 'One request: its figures, payments and timeline.',
      },
      {
        name: 'payment-requests:pay',
        usage:
          'node ace payment-requests:pay <request> --amount=12.34 [--payment-method=pm_…|default]',
        does: "Pay a request on the employer's behalf with a method they saved.",
      },
      {
        name: 'payment-requests:void',
        usage: 'node ace payment-requests:void <request>',
        does: 'Cancel a request nothing was paid on (its link then says so).',
      },
    ],
  },
  {
    title: 'Disputes',
    commands: [
      {
        name: 'disputes:list',
        usage: 'node ace disputes:list [--status=open,closed] [--json]',
        does: 'Chargebacks and inquiries: status, amount, due date.',
      },
      {
        name: 'disputes:show',
        usage: 'node ace disputes:show <dispute> [--json]',
        does: 'One dispute: due date and days left, evidence sent, what each contractor gave.',
      },
      {
        name: 'disputes:evidence',
        usage: 'node ace disputes:evidence <dispute> [--text=…] [--file=[kind=]path] [--submit]',
        does: 'Give the bank evidence (staged on Stripe, or submitted with --submit).',
      },
      {
        name: 'disputes:accept',
        usage: 'node ace disputes:accept <dispute>',
        does: 'Accept a dispute: the money stays with the cardholder.',
      },
    ],
  },
  {
    title: 'Contractors',
    commands: [
      {
        name: 'contractors:fee',
        usage: 'node ace contractors:fee <email> [--percent=8 --fixed=0.30 | --reset | --show]',
        does: "Show or set a contractor's own fee plan.",
      },
      {
        name: 'contractors:debit',
        usage:
          'node ace contractors:debit <email> --amount=5.00 --currency=usd --reason="…" [--order=42]',
        does: "Debit a contractor's available balance, or collect an owed debit (--collect=<id>).",
      },
    ],
  },
  {
    title: 'Stripe, jobs and webhooks',
    commands: [
      {
        name: 'stripe:reconcile',
        usage: 'node ace stripe:reconcile [--since=2026-11-01] [--fix] [--json]',
        does: 'Compare our records with Stripe; --fix applies what is missing.',
      },
      {
        name: 'webhooks:list',
        usage: 'node ace webhooks:list [--failed] [--limit=50]',
        does: 'Stored Stripe webhook events, newest first.',
      },
      {
        name: 'webhooks:retry',
        usage: 'node ace webhooks:retry <evt_… or number>',
        does: 'Apply a stored event again once its cause is fixed.',
      },
      {
        name: 'jobs:status',
        usage: 'node ace jobs:status [--json]',
        does: 'Queues, scheduled jobs, failures, live workers and the mail outbox.',
      },
      {
        name: 'jobs:work',
        usage: 'node ace jobs:work [--once]',
        does: 'Run a job worker until stopped.',
      },
      {
        name: 'stripe:sandbox',
        usage: 'node ace stripe:sandbox [--port=12111]',
        does: 'Run the local Stripe sandbox in the foreground.',
      },
    ],
  },
  {
    title: 'Accounts',
    commands: [
      {
        name: 'users:create-admin',
        usage: 'node ace users:create-admin <email> [--name=…]',
        does: 'Create another admin (the password is prompted).',
      },
    ],
  },
]
