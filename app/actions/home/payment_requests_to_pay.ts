import type User from '#models/user'

/*
| The slot for payment requests on the employer's home ("needs you").
| Payment requests (a contractor billing an employer, /pay/:token) come with
| the `payreq` branch: it fills `paymentRequestsToPay` with the open requests
| addressed to this employer. The home page already shows whatever it
| returns, under "Payment requests to pay".
*/

export interface PaymentRequestToPay {
  /** Where the employer pays it (/pay/:token) */
  payUrl: string
  contractorName: string
  description: string
  /** Left to pay, minor units */
  amountDue: number
  currency: string
  /** ISO date, when the contractor set one */
  dueDate: string | null
}

export async function paymentRequestsToPay(_employer: User): Promise<PaymentRequestToPay[]> {
  return []
}
