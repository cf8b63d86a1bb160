import { createHmac } from 'node:crypto'
import http, { type ClientRequest } from 'node:http'
import https from 'node:https'

export interface WebhookTarget {
  /** `we_…` id, or a synthetic id for endpoints configured at start-up */
  id: string
  url: string
  secret: string
}

interface Delivery {
  eventId: string
  payload: string
  target: WebhookTarget
  attempt: number
}

interface Queue {
  items: Delivery[]
  /** index of the next delivery in `items` (a deque without shifting) */
  head: number
  inflight: number
}

/** `Stripe-Signature` exactly as Stripe builds it: HMAC-SHA256 of `${t}.${body}`. */
export function signPayload(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex')
  return `t=${timestamp},v1=${v1}`
}

export const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 30000]

/** Deliveries in flight per endpoint. */
export const DEFAULT_WEBHOOK_CONCURRENCY = 16

/**
 * Delivers events to endpoints after the API response has gone out, up to
 * `concurrency` deliveries in flight per endpoint, started in creation
 * order. Like Stripe, this does not guarantee arrival order. A failed
 * delivery steps aside to wait for its retry (real-time backoff) so it does
 * not hold up the events behind it. stop() cancels timers and sockets so a
 * test process can exit.
 */
export class WebhookDispatcher {
  private readonly queues = new Map<string, Queue>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inflight = new Set<ClientRequest>()
  private readonly httpAgent = new http.Agent({ keepAlive: true })
  private readonly httpsAgent = new https.Agent({ keepAlive: true })
  private kickScheduled = false
  private stopped = false

  constructor(
    private readonly retryDelaysMs: number[],
    private readonly onDelivered: (eventId: string) => void,
    private readonly log: (line: string) => void,
    private readonly concurrency = DEFAULT_WEBHOOK_CONCURRENCY
  ) {}

  /** Deliveries waiting or in flight, over all endpoints. */
  get backlog(): number {
    let total = 0
    for (const queue of this.queues.values()) {
      total += queue.items.length - queue.head + queue.inflight
    }
    return total
  }

  enqueue(target: WebhookTarget, eventId: string, payload: string): void {
    if (this.stopped) {
      return
    }
    let queue = this.queues.get(target.id)
    if (!queue) {
      queue = { items: [], head: 0, inflight: 0 }
      this.queues.set(target.id, queue)
    }
    queue.items.push({ eventId, payload, target, attempt: 0 })
    this.kick()
  }

  /** Starts delivering on the next turn of the event loop (after the response is written). */
  private kick(): void {
    if (this.kickScheduled) {
      return
    }
    this.kickScheduled = true
    setImmediate(() => {
      this.kickScheduled = false
      for (const queue of this.queues.values()) {
        this.pump(queue)
      }
    })
  }

  /** Starts deliveries until `concurrency` are in flight or the queue is empty. */
  private pump(queue: Queue): void {
    while (!this.stopped && queue.inflight < this.concurrency && queue.head < queue.items.length) {
      const delivery = queue.items[queue.head]
      queue.items[queue.head] = undefined as unknown as Delivery
      queue.head += 1
      queue.inflight += 1
      void this.send(delivery).then((ok) => {
        queue.inflight -= 1
        if (ok) {
          this.onDelivered(delivery.eventId)
        } else {
          this.retryLater(delivery)
        }
        this.pump(queue)
      })
    }
    if (queue.head === queue.items.length) {
      queue.items = []
      queue.head = 0
    } else if (queue.head > 1024 && queue.head > queue.items.length / 2) {
      queue.items = queue.items.slice(queue.head)
      queue.head = 0
    }
  }

  private retryLater(delivery: Delivery): void {
    const delay = this.retryDelaysMs[delivery.attempt]
    if (delay === undefined || this.stopped) {
      this.log(`webhook ${delivery.eventId} to ${delivery.target.url} gave up`)
      return
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      const queue = this.queues.get(delivery.target.id)
      if (queue && !this.stopped) {
        queue.items.push({ ...delivery, attempt: delivery.attempt + 1 })
        this.pump(queue)
      }
    }, delay)
    this.timers.add(timer)
  }

  private send(delivery: Delivery): Promise<boolean> {
    return new Promise((resolve) => {
      let url: URL
      try {
        url = new URL(delivery.target.url)
      } catch {
        resolve(false)
        return
      }
      const isHttps = url.protocol === 'https:'
      const body = Buffer.from(delivery.payload, 'utf8')
      const timestamp = Math.floor(Date.now() / 1000)
      const request = (isHttps ? https : http).request(
        url,
        {
          method: 'POST',
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': body.length,
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Stripe-Signature': signPayload(delivery.payload, delivery.target.secret, timestamp),
          },
          timeout: 10_000,
        },
        (response) => {
          response.resume()
          response.on('end', () => {
            this.inflight.delete(request)
            const status = response.statusCode ?? 0
            resolve(status >= 200 && status < 300)
          })
          response.on('error', () => resolve(false))
        }
      )
      this.inflight.add(request)
      request.on('timeout', () => request.destroy(new Error('timeout')))
      request.on('error', () => {
        this.inflight.delete(request)
        resolve(false)
      })
      request.end(body)
    })
  }

  stop(): void {
    this.stopped = true
    for (const timer of this.timers) {
      clearTimeout(timer)
    }
    this.timers.clear()
    for (const request of this.inflight) {
      request.destroy()
    }
    this.inflight.clear()
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
    this.queues.clear()
    this.kickScheduled = false
  }
}
