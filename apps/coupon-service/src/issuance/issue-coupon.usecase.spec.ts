import { Env } from '@app/config';
import { LockLease, RedisLock } from '@app/lock';
import { CouponCatalog } from './coupon-catalog.service';
import { CouponMetrics } from './coupon.metrics';
import { CouponStockStore, PrecheckOutcome, ReserveOutcome } from './coupon-stock.store';
import { CouponRepository, FencedInsertResult } from './coupon.repository';
import { IssueCouponUseCase } from './issue-coupon.usecase';
import { StockReconciler } from './stock-reconciler.service';

// Fakes for the adapters: the flow's decisions (what is reserved, given back,
// released) are checked here; the adapters themselves are integration-tested.
function setUp(opts: {
  precheck?: PrecheckOutcome;
  lease?: LockLease | null;
  reserve?: ReserveOutcome;
  insert?: FencedInsertResult | Error;
  hasWallet?: boolean;
}) {
  const lease: LockLease | null =
    opts.lease === undefined
      ? {
          resource: 'issue:A0001:alice',
          key: 'coupon-lock:issue:A0001:alice',
          token: 't',
          fence: 7,
          ttlMs: 5000,
        }
      : opts.lease;
  const stock = {
    precheck: jest.fn(async () => opts.precheck ?? 'go'),
    reserve: jest.fn(async () => opts.reserve ?? { outcome: 'reserved', epoch: 3 }),
    markIssued: jest.fn(async () => undefined),
    giveBack: jest.fn(async () => true),
  };
  const repository = {
    insertFenced: jest.fn(async () => {
      if (opts.insert instanceof Error) throw opts.insert;
      return (
        opts.insert ?? {
          outcome: 'issued',
          walletId: 'w-1',
          issuedAt: new Date('2026-01-01T00:00:00Z'),
        }
      );
    }),
    hasWallet: jest.fn(async () => opts.hasWallet ?? false),
  };
  const lock = { acquire: jest.fn(async () => lease), release: jest.fn(async () => true) };
  const catalog = {
    find: jest.fn(async (code: string) =>
      code === 'A0001' ? { code, name: 'A', discount: 1, quantity: 300, epoch: 3 } : null,
    ),
  };
  const reconciler = { ensureReady: jest.fn(async () => true) };
  const useCase = new IssueCouponUseCase(
    new Env(),
    catalog as unknown as CouponCatalog,
    stock as unknown as CouponStockStore,
    repository as unknown as CouponRepository,
    lock as unknown as RedisLock,
    reconciler as unknown as StockReconciler,
    new CouponMetrics(),
  );
  return { useCase, stock, repository, lock, reconciler };
}

const cmd = { code: 'A0001', userId: 'alice' };

describe('IssueCouponUseCase', () => {
  it('issues: reserve under the lock, fenced insert with the lease, mark issued, release', async () => {
    const { useCase, stock, repository, lock } = setUp({});
    await expect(useCase.execute(cmd)).resolves.toEqual({
      outcome: 'issued',
      walletId: 'w-1',
      couponCode: 'A0001',
      userId: 'alice',
      issuedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(stock.reserve).toHaveBeenCalledWith('A0001', 'alice', 7, 300);
    expect(repository.insertFenced).toHaveBeenCalledWith({
      code: 'A0001',
      userId: 'alice',
      epoch: 3,
      lockKey: 'coupon-lock:issue:A0001:alice',
      fence: 7,
    });
    expect(stock.markIssued).toHaveBeenCalledWith('A0001', 'alice');
    expect(lock.release).toHaveBeenCalledTimes(1);
  });

  it('answers invalid and unknown coupons before touching Redis', async () => {
    const { useCase, stock } = setUp({});
    await expect(useCase.execute({ code: 'A0001', userId: '' })).resolves.toMatchObject({
      outcome: 'invalid',
    });
    await expect(useCase.execute({ code: 'NOPE', userId: 'alice' })).resolves.toEqual({
      outcome: 'unknown_coupon',
      couponCode: 'NOPE',
    });
    expect(stock.precheck).not.toHaveBeenCalled();
  });

  it.each<[PrecheckOutcome, string]>([
    ['sold_out', 'sold_out'],
    ['already', 'already_issued'],
  ])('answers a %s precheck without a lock or a reservation', async (precheck, outcome) => {
    const { useCase, stock, lock } = setUp({ precheck });
    await expect(useCase.execute(cmd)).resolves.toMatchObject({ outcome });
    expect(lock.acquire).not.toHaveBeenCalled();
    expect(stock.reserve).not.toHaveBeenCalled();
  });

  it('answers busy when the lock stays taken, having reserved nothing', async () => {
    const { useCase, stock } = setUp({ lease: null });
    await expect(useCase.execute(cmd)).resolves.toEqual({ outcome: 'busy', retryAfterSeconds: 1 });
    expect(stock.reserve).not.toHaveBeenCalled();
  });

  it('answers already_issued on a duplicate row and keeps the user marked (PostgreSQL is the truth)', async () => {
    const { useCase, stock, lock } = setUp({ insert: { outcome: 'duplicate' } });
    await expect(useCase.execute(cmd)).resolves.toMatchObject({ outcome: 'already_issued' });
    expect(stock.markIssued).toHaveBeenCalledWith('A0001', 'alice');
    expect(stock.giveBack).not.toHaveBeenCalled();
    expect(lock.release).toHaveBeenCalledTimes(1);
  });

  it('gives its own reservation back when the write is refused as stale', async () => {
    const { useCase, stock, lock } = setUp({ insert: { outcome: 'stale' } });
    await expect(useCase.execute(cmd)).resolves.toEqual({ outcome: 'busy', retryAfterSeconds: 1 });
    expect(stock.giveBack).toHaveBeenCalledWith('A0001', 'alice', 'p:7');
    expect(lock.release).toHaveBeenCalledTimes(1);
  });

  it('gives the reservation back when no pool connection came in time (never sent)', async () => {
    const { useCase, stock } = setUp({
      insert: new Error('timeout exceeded when trying to connect'),
    });
    await expect(useCase.execute(cmd)).resolves.toEqual({ outcome: 'busy', retryAfterSeconds: 1 });
    expect(stock.giveBack).toHaveBeenCalledWith('A0001', 'alice', 'p:7');
  });

  it('keeps the reservation on an ambiguous database error (the reconciler settles it) and still releases the lock', async () => {
    const { useCase, stock, lock } = setUp({
      insert: new Error('Connection terminated unexpectedly'),
    });
    await expect(useCase.execute(cmd)).rejects.toThrow('Connection terminated');
    expect(stock.giveBack).not.toHaveBeenCalled();
    expect(lock.release).toHaveBeenCalledTimes(1);
  });

  it('lets go of the lock before rebuilding when the view vanished under it, then retries', async () => {
    const { useCase, stock, lock, reconciler } = setUp({});
    stock.reserve.mockResolvedValueOnce({ outcome: 'not_ready' });
    reconciler.ensureReady.mockImplementation(async () => {
      expect(lock.release).toHaveBeenCalledTimes(1);
      return true;
    });
    await expect(useCase.execute(cmd)).resolves.toMatchObject({ outcome: 'issued' });
    expect(lock.acquire).toHaveBeenCalledTimes(2);
    expect(lock.release).toHaveBeenCalledTimes(2);
  });

  it('rebuilds once when Redis has no view, then answers busy rather than loop', async () => {
    const { useCase, reconciler } = setUp({ precheck: 'not_ready' });
    await expect(useCase.execute(cmd)).resolves.toEqual({ outcome: 'busy', retryAfterSeconds: 1 });
    expect(reconciler.ensureReady).toHaveBeenCalledTimes(1);
  });
});
