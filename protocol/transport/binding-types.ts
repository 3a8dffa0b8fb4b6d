import type { SerialPortStream } from '@serialport/stream';

/**
 * @serialport/bindings-interface ships types its package exports map hides from NodeNext
 * resolution; the same types reach us through SerialPortStream's constructor.
 */
export type Binding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];
export type BindingPort = Awaited<ReturnType<Binding['open']>>;
export type BindingOpenOptions = Parameters<Binding['open']>[0];
export type BindingPortInfo = Awaited<ReturnType<Binding['list']>>[number];
export type BindingPortStatus = Awaited<ReturnType<BindingPort['get']>>;
