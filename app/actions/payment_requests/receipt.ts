import PDFDocument from 'pdfkit'
import type { DateTime } from 'luxon'
import Payment from '#models/payment'
import PaymentRequest from '#models/payment_request'
import User from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import { formatAmount } from '#money/amounts'
import { isRecordId } from '#services/record_id'
import { displayZone, formatDateTime, withTimeZone } from '#services/time_zone'
import type { MailAttachment } from '#mails/messages'
import { methodWords } from '#actions/payment_requests/payment_methods'
import { receiptFigures } from '#actions/payment_requests/receipt_figures'

/*
| A PDF receipt for a succeeded payment of a request (pdfkit, made on demand
| from the records: nothing is stored). It names the platform, the
| contractor, the employer, what was paid for, the amount, the method (brand
| and last 4 only), the date, Stripe's charge reference, and the request's
| paid so far and balance due once this payment succeeded.
|
| The date is in the employer's time zone (their settings), named on the
| receipt: the receipt is the employer's record, so it reads the same
| downloaded by either party or mailed.
*/

export const PLATFORM_NAME = 'Crewpay'

export interface Receipt {
  number: string
  paymentId: number
  requestId: number
  contractor: { name: string; email: string }
  employer: { name: string; email: string }
  description: string
  currency: string
  requestAmount: number
  paid: number
  refunded: number
  method: string
  paidAt: string
  chargeId: string | null
  paidSoFar: number
  balanceDue: number
}

/** A captured payment of a request; anything else has no receipt */
async function receiptPayment(paymentId: number) {
  const payment = isRecordId(paymentId) ? await Payment.find(paymentId) : null
  if (!payment || payment.paymentRequestId === null || !payment.isCaptured) {
    return null
  }
  return payment
}

/** "Nov 29, 2026, 11:34 EST (America/New_York)": the zone's abbreviation and its name */
function paidAtIn(zone: string, at: DateTime) {
  return withTimeZone(zone, () => {
    const shown = formatDateTime(at)
    return displayZone() === 'UTC' ? shown : `${shown} (${displayZone()})`
  })
}

export async function loadReceipt(paymentId: number): Promise<Receipt | null> {
  const payment = await receiptPayment(paymentId)
  if (!payment) {
    return null
  }
  const request = await PaymentRequest.findOrFail(payment.paymentRequestId)
  const [contractor, employer] = await Promise.all([
    User.findOrFail(request.contractorId),
    User.findOrFail(payment.employerId),
  ])
  const figures = await receiptFigures(payment, request)
  return {
    number: `R-${request.id}-${payment.id}`,
    paymentId: payment.id,
    requestId: request.id,
    contractor: { name: contractor.fullName, email: contractor.email },
    employer: { name: employer.fullName, email: employer.email },
    description: request.description,
    currency: payment.currency,
    requestAmount: request.amount,
    paid: payment.amountCaptured,
    refunded: payment.amountRefunded,
    method:
      methodWords(payment.methodBrand, payment.methodLast4, payment.methodType) ??
      (payment.methodType === 'us_bank_account' ? 'Bank account' : 'Card'),
    paidAt: paidAtIn(employer.timeZone, payment.succeededAt ?? payment.updatedAt),
    chargeId: payment.stripeChargeId,
    paidSoFar: figures.paidSoFar,
    balanceDue: figures.balanceDue,
  }
}

/**
 * The receipt of a payment for `user`: its employer or its request's
 * contractor. Anyone else, and any payment without a receipt, is 404.
 */
export async function receiptFor(user: User, paymentId: unknown) {
  const id = Number(paymentId)
  const payment = isRecordId(id) ? await receiptPayment(id) : null
  if (payment) {
    const request = await PaymentRequest.findOrFail(payment.paymentRequestId)
    if (payment.employerId === user.id || request.contractorId === user.id) {
      return (await loadReceipt(payment.id))!
    }
  }
  throw DomainError.notFound('Receipt not found.')
}

export function receiptFilename(receipt: Receipt) {
  return `crewpay-receipt-${receipt.number}.pdf`
}

/** The receipt as a PDF document */
export function renderReceiptPdf(receipt: Receipt): Promise<Buffer> {
  const money = (value: number) => formatAmount(value, receipt.currency)
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: `${PLATFORM_NAME} receipt ${receipt.number}`, Author: PLATFORM_NAME },
  })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })

  doc.font('Helvetica-Bold').fontSize(22).text(PLATFORM_NAME)
  doc.font('Helvetica').fontSize(10).fillColor('#555555').text('Payment receipt')
  doc.moveDown(1.5)
  doc.fillColor('#000000').font('Helvetica-Bold').fontSize(16).text(`Receipt ${receipt.number}`)
  doc.moveDown(0.5)

  const row = (label: string, value: string) => {
    doc.font('Helvetica-Bold').fontSize(11).text(`${label}: `, { continued: true })
    doc.font('Helvetica').text(value)
  }
  row('Platform', PLATFORM_NAME)
  row('Contractor', `${receipt.contractor.name} (${receipt.contractor.email})`)
  row('Employer', `${receipt.employer.name} (${receipt.employer.email})`)
  row('Payment request', `#${receipt.requestId}, ${money(receipt.requestAmount)}`)
  doc.moveDown(0.5)
  doc.font('Helvetica-Bold').text('Description')
  doc.font('Helvetica').text(receipt.description)
  doc.moveDown(0.5)
  row('Amount paid', money(receipt.paid))
  if (receipt.refunded > 0) {
    row('Refunded since', money(receipt.refunded))
  }
  row('Payment method', receipt.method)
  row('Date', receipt.paidAt)
  row('Stripe charge reference', receipt.chargeId ?? 'not known yet')
  doc.moveDown(0.5)
  row('Paid so far', money(receipt.paidSoFar))
  row('Balance due', money(receipt.balanceDue))
  doc.moveDown(2)
  doc
    .fontSize(9)
    .fillColor('#555555')
    .text(
      `${receipt.contractor.name} was paid through ${PLATFORM_NAME}; the payment was processed by Stripe.`
    )
  doc.end()
  return done
}

/** The receipt as a mail attachment (made when the mail is sent) */
export async function receiptAttachment(paymentId: number): Promise<MailAttachment> {
  const receipt = await loadReceipt(paymentId)
  if (!receipt) {
    throw new Error(`Payment #${paymentId} has no receipt`)
  }
  return {
    filename: receiptFilename(receipt),
    contentType: 'application/pdf',
    content: await renderReceiptPdf(receipt),
  }
}
