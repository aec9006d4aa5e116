import { transactionSupportProblem } from './replica-set';

describe('transactionSupportProblem', () => {
  it('accepts a replica set member and a mongos', () => {
    expect(transactionSupportProblem({ setName: 'rs0', isWritablePrimary: true })).toBeNull();
    expect(transactionSupportProblem({ msg: 'isdbgrid' })).toBeNull();
  });

  it('refuses a standalone server, saying how to fix it', () => {
    expect(transactionSupportProblem({ isWritablePrimary: true })).toMatch(/replica set.*--replSet rs0.*rs\.initiate\(\)/);
  });
});
