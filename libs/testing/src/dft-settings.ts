/**
 * billing's settings for delivering DFT^P03 to a test billing system on 127.0.0.1:`port` (the
 * sending and receiving applications, the performer and department a DFT^P03 names), polling fast.
 */
export function dftTestSettings(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BILLING_DFT_HOST: '127.0.0.1',
    BILLING_DFT_PORT: String(port),
    BILLING_DFT_POLL_MS: '200',
    BILLING_DFT_SENDING_FACILITY: 'PATHLAB',
    BILLING_DFT_RECEIVING_APPLICATION: 'BILLSYS',
    BILLING_DFT_RECEIVING_FACILITY: 'MAIN',
    BILLING_DFT_PERFORMER_NPI: '1234567893',
    BILLING_DFT_PERFORMER_FAMILY_NAME: 'UNIVERSITY PATHOLOGY LAB',
    BILLING_DFT_DEPARTMENT_CODE: 'PATH',
    BILLING_DFT_DEPARTMENT_NAME: 'Anatomic pathology',
    ...extra,
  };
}
