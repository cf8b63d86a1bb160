import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment, { DEAD_STATUSES } from '#models/payment'
import Transfer from '#models/transfer'
import { keysetPage, cursorLinks, type Cursor } from '#services/keyset'
import { orderStatus, type StatusView, type Viewer } from '#domain/order_summary'

/*
| One row per order for the orders list and the homes: what, with whom, the
| viewer's amount and the status in plain words (order_summary.ts).
*/

export interface OrderRow {
  order: Order
  /** "Kitchen repaint", or "Kitchen repaint and 2 more" */
  title: string
  /** The contractors (for an employer) or the employer (for a contractor) */
  counterpart: string
  /** The employer's total, or the contractor's own lines */
  amount: number
  status: StatusView
}

/** The viewer of a party's orders */
export function viewerOf(user: User): Viewer {
  return user.role === 'employer' ? 'employer' : 'contractor'
}

/** The live payment of an order (else its latest) among `payments` */
export function paymentOf(orderId: number, payments: Payment[]) {
  const orderPayments = payments.filter((payment) => payment.orderId === orderId)
  return (
    orderPayments.find((candidate) => !DEAD_STATUSES.includes(candidate.status)) ??
    orderPayments.at(-1) ??
    null
  )
}

/** Rows for these orders, as `user` sees them */
export async function rowsOf(user: User, orders: Order[]): Promise<OrderRow[]> {
  const viewer = viewerOf(user)
  const ids = orders.map((order) => order.id)
  const [lines, payments] = await Promise.all([
    ids.length ? OrderLine.query().whereIn('orderId', ids).preload('contractor').orderBy('id') : [],
    ids.length ? Payment.query().whereIn('orderId', ids).orderBy('id') : [],
  ])
  const transfers = payments.length
    ? await Transfer.query().whereIn(
        'paymentId',
        payments.map((payment) => payment.id)
      )
    : []
  return orders.map((order) => {
    const orderLines = lines.filter((line) => line.orderId === order.id)
    const mine =
      viewer === 'employer'
        ? orderLines
        : orderLines.filter((line) => line.contractorId === user.id)
    return {
      order,
      title:
        mine.length === 1
          ? mine[0].title
          : `${mine[0]?.title ?? 'Services'} and ${mine.length - 1} more`,
      counterpart:
        viewer === 'employer'
          ? [...new Set(mine.map((line) => line.contractor.fullName))].join(', ')
          : order.employer.fullName,
      amount:
        viewer === 'employer' ? order.total : mine.reduce((sum, line) => sum + line.amount, 0),
      status: orderStatus(orderLines, paymentOf(order.id, payments), viewer, user.id, transfers),
    }
  })
}

/** The orders a party takes part in, newest first */
export function ordersOfQuery(user: User) {
  return viewerOf(user) === 'employer'
    ? Order.query().where('employerId', user.id)
    : Order.query()
        .whereIn('id', OrderLine.query().where('contractorId', user.id).select('orderId'))
        .preload('employer')
}

/**
 * The orders' employer: on an employer's own orders that is the viewer (set,
 * not read again); a contractor's orders were preloaded by ordersOfQuery
 */
export function withEmployer(user: User, orders: Order[]) {
  if (viewerOf(user) === 'employer') {
    for (const order of orders) {
      order.$setRelated('employer', user)
    }
  }
  return orders
}

/** A keyset page of the user's orders, newest first (no rows built yet) */
export async function ordersPage(user: User, options: { cursor?: Cursor | null; perPage: number }) {
  const page = await keysetPage(
    ordersOfQuery(user),
    'orders',
    options.cursor ?? null,
    options.perPage
  )
  return { ...page, rows: withEmployer(user, page.rows) }
}

/**
 * Rows for several lists of orders (a home's sections) with one read of
 * their lines, payments and transfers; an order in two lists is one row
 */
export async function rowsOfLists(user: User, lists: Order[][]): Promise<OrderRow[][]> {
  const unique = new Map<number, Order>()
  for (const order of lists.flat()) {
    unique.set(order.id, order)
  }
  const rows = await rowsOf(user, [...unique.values()])
  const byId = new Map(rows.map((row) => [row.order.id, row]))
  return lists.map((list) => list.map((order) => byId.get(order.id)!))
}

export async function orderRows(user: User, options: { cursor?: Cursor | null; perPage: number }) {
  const page = await ordersPage(user, options)
  return {
    rows: await rowsOf(user, page.rows),
    hasNext: page.olderCursor !== null,
    ...cursorLinks('/orders', page),
  }
}
