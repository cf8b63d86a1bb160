import { DateTime } from 'luxon'
import { formatDateTime } from '#services/time_zone'
import encryption from '@adonisjs/core/services/encryption'
import { formatAmount } from '#money/amounts'

/*
|--------------------------------------------------------------------------
| Every email the app sends
|--------------------------------------------------------------------------
|
| One entry per message: its category, subject, the Edge views it renders
| (resources/views/emails/<view>.edge for HTML, <view>_text.edge for text) and
| the page it links to. Each has a typed data interface: what the caller of
| notify() passes (JSON: numbers, strings, ISO dates). Amounts are integers in
| minor units with their currency; templates format them with formatAmount.
| No message carries a secret, a card or a bank number (at most a last 4).
|
| Categories: "security" and "transactional" mail is always sent; "optional"
| mail is not sent to a user who turned it off (/settings/notifications).
|
*/

export type MessageCategory = 'security' | 'transactional' | 'optional'

/** What every order message names: the order, its amount in its currency, its page */
export interface OrderRef {
  orderId: number
  /** What was ordered ("Kitchen repaint", or "3 services") */
  title: string
  /** Minor units */
  amount: number
  currency: string
}

export interface WelcomeData {
  role: 'employer' | 'contractor' | 'admin'
}

export interface PasswordResetData {
  /** The reset token, encrypted with the app key: the outbox never holds it in clear */
  encryptedToken: string | null
  /** ISO time */
  expiresAt: string
}

export interface PasswordChangedData {
  /** ISO time */
  changedAt: string
  ip: string | null
}

/** account.updated: Stripe needs something from the contractor */
export interface AccountActionNeededData {
  /** Plain descriptions of what is needed ("Your date of birth") */
  items: string[]
  /** ISO time by which Stripe needs it, when it said */
  deadline: string | null
  /** Why payments or payouts are paused, in plain words, when they are */
  pausedBecause: string | null
}

/** account.updated: the contractor's account can take orders and be paid */
export type AccountEnabledData = Record<string, never>

/** To the contractor: a new order */
export interface OrderRequestedData extends OrderRef {
  employerName: string
  note: string | null
}

/** To the contractor: the employer canceled before acceptance */
export interface OrderCanceledData extends OrderRef {
  employerName: string
}

/** To the contractor: the work was approved and paid */
export interface OrderPaidData extends OrderRef {
  /** Platform fee, minor units */
  fee: number
  /** What the contractor receives (amount − fee), minor units */
  net: number
}

/** To the contractor: a refund took back part of what they were paid */
export interface RefundReversedData extends OrderRef {
  /** Taken back from the contractor, minor units */
  reversed: number
}

/** To the contractor: an account debit */
export interface ContractorDebitedData {
  debitId: number
  /** The order it concerns, when it concerns one */
  orderId: number | null
  title: string | null
  amount: number
  currency: string
  reason: string
}

/** To the employer: the contractor accepted */
export interface OrderAcceptedData extends OrderRef {
  contractorName: string
}

/** To the employer: the contractor declined (the hold is released) */
export interface OrderDeclinedData extends OrderRef {
  contractorName: string
  /** The contractor's words, when they gave a reason */
  reason: string | null
}

/** To the employer: delivered; approve by a date or the policy applies */
export interface OrderDeliveredData extends OrderRef {
  contractorName: string
  /** ISO time of the automatic settlement */
  approveBy: string
  /** What happens then: the contractor is paid, or the hold is released */
  policy: 'capture' | 'release'
}

/** To the employer: a day before the hold is settled */
export type ApprovalReminderData = OrderDeliveredData

/** To the employer: the card was charged */
export interface PaymentReceiptData extends OrderRef {
  /** ISO time */
  capturedAt: string
  /** "Visa ending in 4242": brand and last 4 only */
  paymentMethod: string | null
}

/** To the employer: money refunded */
export interface RefundIssuedData extends OrderRef {
  refunded: number
  /** All refunds of the order so far, this one included */
  refundedTotal: number
  reason: string | null
}

/** To the employer: a bank debit failed after it started processing */
export interface PaymentFailedData extends OrderRef {
  /** The bank's reason, in plain words */
  reason: string
  /** "Bank debit from STRIPE TEST BANK ···· 6789": bank name and last 4 only */
  paymentMethod: string
}

/** To a contractor: the employer's payment failed, their lines are canceled */
export interface OrderPaymentFailedData extends OrderRef {
  employerName: string
  /** Whether the contractor had already delivered some of this work */
  delivered: boolean
}

/** What every payment request message names */
export interface PaymentRequestRef {
  requestId: number
  contractorName: string
  description: string
  /** The request's amount, minor units */
  amount: number
  currency: string
  /** ISO date (YYYY-MM-DD) */
  dueDate: string
}

/** To the employer: a contractor asks to be paid, with the link (creation, resend, reminder) */
export interface PaymentRequestLinkData extends PaymentRequestRef {
  /** What can be paid now, minor units */
  balanceDue: number
  /** The link's token, encrypted with the app key: the outbox never holds it in clear */
  encryptedToken: string | null
}

/** To the employer: a payment of a request succeeded (the PDF receipt is attached) */
export interface RequestPaymentReceiptData extends PaymentRequestRef {
  paymentId: number
  /** This payment, minor units */
  paid: number
  /** ISO time */
  paidAt: string
  /** "Visa ending in 4242", "STRIPE TEST BANK account ending in 6789": brand and last 4 only */
  paymentMethod: string | null
  /** All succeeded payments of the request so far, this one included */
  paidSoFar: number
  balanceDue: number
}

/** To the contractor: a payment of their request succeeded */
export interface RequestPaymentReceivedData extends PaymentRequestRef {
  paymentId: number
  employerEmail: string
  paid: number
  /** Platform fee, minor units */
  fee: number
  /** What the contractor receives (paid − fee) */
  net: number
  paidSoFar: number
  balanceDue: number
}

/** A file made when the mail is sent (the outbox keeps only the data to make it) */
export interface MailAttachment {
  filename: string
  contentType: string
  content: Buffer
}

/** To a contractor: a dispute concerns their work */
export interface DisputeOpenedData extends OrderRef {
  /** Their lines' part of the disputed amount, minor units */
  disputed: number
  /** Why the bank disputes it, in plain words */
  reason: string
  /** An inquiry (no money moved), not a chargeback */
  inquiry: boolean
}

/** To a contractor: a dispute about their work is over */
export interface DisputeClosedData extends OrderRef {
  disputed: number
  reason: string
  outcome: 'won' | 'lost' | 'warning_closed' | 'prevented'
  /** What was taken back from them for it (given back when won), minor units */
  taken: number
}

/** To a request's contractor: a dispute concerns a payment of their request */
export interface RequestDisputeOpenedData extends PaymentRequestRef {
  paymentId: number
  /** Their part of the disputed amount (what is left of the payment), minor units */
  disputed: number
  reason: string
  inquiry: boolean
}

/** To a request's contractor: the dispute about a payment of their request is over */
export interface RequestDisputeClosedData extends PaymentRequestRef {
  paymentId: number
  disputed: number
  reason: string
  outcome: 'won' | 'lost' | 'warning_closed' | 'prevented'
  /** What was taken back from them for it (given back when won), minor units */
  taken: number
}

/** To the new address: confirm it (settings) */
export interface EmailChangeData {
  newEmail: string
  /** The confirmation token, encrypted with the app key: the outbox never holds it in clear */
  encryptedToken: string | null
  /** ISO time */
  expiresAt: string
}

/** To the old address: the account's email was changed */
export interface EmailChangedData {
  oldEmail: string
  newEmail: string
  /** ISO time */
  changedAt: string
}

/** To the address the account had: it was deleted */
export interface AccountDeletedData {
  /** ISO time */
  deletedAt: string
}

export interface MessageDefinition<Data> {
  category: MessageCategory
  subject(data: Data): string
  /** resources/views/emails/<view>.edge and <view>_text.edge */
  view: string
  /** Path (on APP_URL) of the page the message links to */
  link(data: Data): string
  /** Keys of data wiped from the outbox once sent */
  scrubAfterSend?: (keyof Data)[]
  /** Files generated at sending time (a PDF receipt), attached to the mail */
  attachments?(data: Data): Promise<MailAttachment[]>
}

function define<Data>(definition: MessageDefinition<Data>) {
  return definition
}

const money = (amount: number, currency: string) => formatAmount(amount, currency)
const order = (data: OrderRef) => `order #${data.orderId} (${data.title})`
const orderPage = (data: { orderId: number }) => `/orders/${data.orderId}`

/** The request's link from the encrypted token (the request's own pages when it is gone) */
function requestLink(data: { encryptedToken: string | null }) {
  const token = data.encryptedToken
    ? encryption.decrypt<string>(data.encryptedToken, 'payment_request_link')
    : null
  return token ? `/pay/${token}` : '/'
}

function formatDay(isoDate: string) {
  return DateTime.fromISO(isoDate, { zone: 'utc' }).toFormat('LLL d, yyyy')
}

/** In the recipient's time zone: mails are rendered inside withTimeZone (notify.ts) */
export function formatWhen(iso: string) {
  return formatDateTime(iso)
}

export const messages = {
  welcome: define<WelcomeData>({
    category: 'optional',
    subject: () => 'Welcome to Crewpay',
    view: 'welcome',
    link: (data) =>
      data.role === 'contractor' ? '/onboarding' : data.role === 'employer' ? '/services' : '/',
  }),
  password_reset: define<PasswordResetData>({
    category: 'security',
    subject: () => 'Reset your Crewpay password',
    view: 'password_reset',
    link: (data) => {
      const token = data.encryptedToken
        ? encryption.decrypt<string>(data.encryptedToken, 'password_reset')
        : null
      return token ? `/reset-password/${token}` : '/forgot-password'
    },
    scrubAfterSend: ['encryptedToken'],
  }),
  password_changed: define<PasswordChangedData>({
    category: 'security',
    subject: () => 'Your Crewpay password was changed',
    view: 'password_changed',
    link: () => '/forgot-password',
  }),
  account_action_needed: define<AccountActionNeededData>({
    category: 'transactional',
    subject: () => 'Stripe needs more information to pay you',
    view: 'account_action_needed',
    link: () => '/onboarding',
  }),
  account_enabled: define<AccountEnabledData>({
    category: 'transactional',
    subject: () => 'Your account is verified: you can take orders',
    view: 'account_enabled',
    link: () => '/my/services',
  }),
  order_requested: define<OrderRequestedData>({
    category: 'transactional',
    subject: (data) =>
      `New order #${data.orderId}: ${data.title} (${money(data.amount, data.currency)})`,
    view: 'order_requested',
    link: orderPage,
  }),
  order_canceled: define<OrderCanceledData>({
    category: 'transactional',
    subject: (data) => `Order #${data.orderId} was canceled by ${data.employerName}`,
    view: 'order_canceled',
    link: orderPage,
  }),
  order_paid: define<OrderPaidData>({
    category: 'transactional',
    subject: (data) => `You were paid ${money(data.net, data.currency)} for ${order(data)}`,
    view: 'order_paid',
    link: orderPage,
  }),
  refund_reversed: define<RefundReversedData>({
    category: 'transactional',
    subject: (data) =>
      `${money(data.reversed, data.currency)} was taken back for a refund of ${order(data)}`,
    view: 'refund_reversed',
    link: orderPage,
  }),
  contractor_debited: define<ContractorDebitedData>({
    category: 'transactional',
    subject: (data) =>
      `${money(data.amount, data.currency)} was debited from your balance` +
      (data.orderId ? ` (order #${data.orderId})` : ''),
    view: 'contractor_debited',
    link: (data) => (data.orderId ? `/orders/${data.orderId}` : '/balance'),
  }),
  order_accepted: define<OrderAcceptedData>({
    category: 'optional',
    subject: (data) => `${data.contractorName} accepted ${order(data)}`,
    view: 'order_accepted',
    link: orderPage,
  }),
  order_declined: define<OrderDeclinedData>({
    category: 'transactional',
    subject: (data) => `${data.contractorName} declined ${order(data)}`,
    view: 'order_declined',
    link: orderPage,
  }),
  order_delivered: define<OrderDeliveredData>({
    category: 'transactional',
    subject: (data) =>
      `Order #${data.orderId} was delivered: approve by ${formatWhen(data.approveBy)}`,
    view: 'order_delivered',
    link: orderPage,
  }),
  approval_reminder: define<ApprovalReminderData>({
    category: 'optional',
    subject: (data) =>
      `Reminder: order #${data.orderId} is settled automatically on ${formatWhen(data.approveBy)}`,
    view: 'approval_reminder',
    link: orderPage,
  }),
  payment_receipt: define<PaymentReceiptData>({
    category: 'transactional',
    subject: (data) => `Receipt: ${money(data.amount, data.currency)} for ${order(data)}`,
    view: 'payment_receipt',
    link: orderPage,
  }),
  payment_failed: define<PaymentFailedData>({
    category: 'transactional',
    subject: (data) => `Your payment for ${order(data)} failed`,
    view: 'payment_failed',
    link: orderPage,
  }),
  order_payment_failed: define<OrderPaymentFailedData>({
    category: 'transactional',
    subject: (data) => `Order #${data.orderId} is canceled: the employer's payment failed`,
    view: 'order_payment_failed',
    link: orderPage,
  }),
  payment_request: define<PaymentRequestLinkData>({
    category: 'transactional',
    subject: (data) =>
      `${data.contractorName} asks you to pay ${money(data.balanceDue, data.currency)}`,
    view: 'payment_request',
    link: requestLink,
    scrubAfterSend: ['encryptedToken'],
  }),
  payment_request_overdue: define<PaymentRequestLinkData>({
    category: 'transactional',
    subject: (data) =>
      `Reminder: ${money(data.balanceDue, data.currency)} to ${data.contractorName} was due on ${formatDay(data.dueDate)}`,
    view: 'payment_request_overdue',
    link: requestLink,
    scrubAfterSend: ['encryptedToken'],
  }),
  request_payment_receipt: define<RequestPaymentReceiptData>({
    category: 'transactional',
    subject: (data) =>
      `Receipt: ${money(data.paid, data.currency)} paid to ${data.contractorName} (request #${data.requestId})`,
    view: 'request_payment_receipt',
    link: (data) => `/payments/${data.paymentId}/receipt.pdf`,
    async attachments(data) {
      const { receiptAttachment } = await import('#actions/payment_requests/receipt')
      return [await receiptAttachment(data.paymentId)]
    },
  }),
  request_payment_received: define<RequestPaymentReceivedData>({
    category: 'transactional',
    subject: (data) =>
      `You were paid ${money(data.net, data.currency)} for request #${data.requestId}`,
    view: 'request_payment_received',
    link: (data) => `/my/payment-requests/${data.requestId}`,
  }),
  dispute_opened: define<DisputeOpenedData>({
    category: 'transactional',
    subject: (data) =>
      data.inquiry
        ? `The employer's bank asked about ${order(data)}`
        : `A chargeback concerns your work on ${order(data)}`,
    view: 'dispute_opened',
    link: orderPage,
  }),
  dispute_closed: define<DisputeClosedData>({
    category: 'transactional',
    subject: (data) =>
      data.outcome === 'lost'
        ? `The dispute about ${order(data)} was lost`
        : `The dispute about ${order(data)} is over`,
    view: 'dispute_closed',
    link: orderPage,
  }),
  request_dispute_opened: define<RequestDisputeOpenedData>({
    category: 'transactional',
    subject: (data) =>
      data.inquiry
        ? `The employer's bank asked about a payment of request #${data.requestId}`
        : `A chargeback concerns a payment of request #${data.requestId}`,
    view: 'request_dispute_opened',
    link: (data) => `/my/payment-requests/${data.requestId}`,
  }),
  request_dispute_closed: define<RequestDisputeClosedData>({
    category: 'transactional',
    subject: (data) =>
      data.outcome === 'lost'
        ? `The dispute about a payment of request #${data.requestId} was lost`
        : `The dispute about a payment of request #${data.requestId} is over`,
    view: 'request_dispute_closed',
    link: (data) => `/my/payment-requests/${data.requestId}`,
  }),
  refund_issued: define<RefundIssuedData>({
    category: 'transactional',
    subject: (data) => `Refund of ${money(data.refunded, data.currency)} for ${order(data)}`,
    view: 'refund_issued',
    link: orderPage,
  }),
  email_change: define<EmailChangeData>({
    category: 'security',
    subject: () => 'Confirm your new Crewpay email address',
    view: 'email_change',
    link: (data) => {
      const token = data.encryptedToken
        ? encryption.decrypt<string>(data.encryptedToken, 'email_change')
        : null
      return token ? `/settings/email/confirm/${token}` : '/settings'
    },
    scrubAfterSend: ['encryptedToken'],
  }),
  email_changed: define<EmailChangedData>({
    category: 'security',
    subject: () => 'The email address of your Crewpay account was changed',
    view: 'email_changed',
    link: () => '/forgot-password',
  }),
  account_deleted: define<AccountDeletedData>({
    category: 'security',
    subject: () => 'Your Crewpay account was deleted',
    view: 'account_deleted',
    link: () => '/',
  }),
}

export type MessageName = keyof typeof messages
export type MessageData<Name extends MessageName> =
  (typeof messages)[Name] extends MessageDefinition<infer Data> ? Data : never
