import { open, readFile, rm } from 'node:fs/promises'

/**
 * A lock file, so that two processes starting a local service at the same
 * moment (the dev server and an ace command) do not both start it.
 */
export async function withFileLock<T>(lockPath: string, callback: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000
  while (true) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      break
    } catch {
      const holder = Number(await readFile(lockPath, 'utf8').catch(() => ''))
      if (!isAlive(holder)) {
        await rm(lockPath, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${lockPath} (held by process ${holder})`)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  try {
    return await callback()
  } finally {
    await rm(lockPath, { force: true })
  }
}

export function isAlive(pid: number) {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
