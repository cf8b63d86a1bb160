import type { HttpContext } from '@adonisjs/core/http'
import { receiptFilename, receiptFor, renderReceiptPdf } from '#actions/payment_requests/receipt'

/** A payment's PDF receipt, for its employer and its request's contractor (anyone else: 404) */
export default class ReceiptsController {
  async show({ auth, params, response }: HttpContext) {
    const receipt = await receiptFor(auth.getUserOrFail(), params.id)
    const pdf = await renderReceiptPdf(receipt)
    response.header('Content-Type', 'application/pdf')
    response.header('Content-Disposition', `inline; filename="${receiptFilename(receipt)}"`)
    response.header('Cache-Control', 'private, no-store')
    return response.send(pdf)
  }
}
