import { existsSync, readFileSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Optional JSON state file. Writes are debounced and atomic (temp file +
 * rename), never synchronous on the request path; flush() writes the latest
 * state once more on stop.
 */
export class Persistence {
  private timer: NodeJS.Timeout | null = null
  private writing: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    private readonly file: string | undefined,
    private readonly snapshot: () => unknown,
    private readonly debounceMs = 200
  ) {}

  markDirty(): void {
    if (!this.file || this.timer || this.stopped) {
      return
    }
    this.timer = setTimeout(() => {
      this.timer = null
      void this.write()
    }, this.debounceMs)
  }

  private write(): Promise<void> {
    const file = this.file
    if (!file) {
      return Promise.resolve()
    }
    // Serialise now (consistent state), write after any write still in progress.
    const text = JSON.stringify(this.snapshot())
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(file), { recursive: true })
      const temp = `${file}.${process.pid}.tmp`
      await writeFile(temp, text)
      await rename(temp, file)
    })
    return this.writing
  }

  async flush(): Promise<void> {
    this.stopped = true
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.file) {
      await this.write()
    }
  }

  static load(file: string | undefined): unknown {
    if (!file || !existsSync(file)) {
      return null
    }
    const text = readFileSync(file, 'utf8')
    try {
      return JSON.parse(text)
    } catch (error) {
      throw new Error(`Stripe sandbox: state file ${file} is not valid JSON`, { cause: error })
    }
  }
}
