/**
 * Keeps widget/types.ts (the npm package's public types, written out by hand so they need no zod)
 * in step with the implementation: `tsc --noEmit` fails here when a public type and the real one
 * stop being assignable to each other, either way. Type-only: no bundle imports it.
 */
import type * as Impl from './index';
import type AlloyGlobal from './global';
import type { Integration as WireIntegration, Workflow as WireWorkflow } from './schema';
import type { Strings as ImplStrings } from './strings';
import type * as Pub from './types';

/** `true` when each of A and B is assignable to the other. */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compares functions by their parameters and results, so methods are not compared bivariantly. */
type SameFn<A, B> = A extends (...args: infer PA) => infer RA
  ? B extends (...args: infer PB) => infer RB
    ? Mutual<PA, PB> extends true
      ? Mutual<RA, RB>
      : false
    : false
  : false;
type AllTrue<T> = [T[keyof T]] extends [true] ? true : false;
type Assert<T extends true> = T;

type Module = typeof Impl;
type Methods = Exclude<keyof Pub.AlloyInstance, 'AlloyError'>;

export type PublicTypesMatch = [
  // The wire shapes: what getIntegrations/getWorkflows resolve with.
  Assert<Mutual<Pub.Integration, WireIntegration>>,
  Assert<Mutual<Pub.Workflow, WireWorkflow>>,
  // The options and results of the API.
  Assert<Mutual<Pub.InstallOptions, Impl.InstallOptions>>,
  Assert<Mutual<Pub.ModalOptions, Impl.ModalOptions>>,
  Assert<Mutual<Pub.InstallResult, Impl.InstallResultCallback>>,
  Assert<Mutual<Pub.PreFilledValues, Impl.PreFilledValues>>,
  Assert<Mutual<Pub.PageOptions, Impl.PageOptions>>,
  Assert<Mutual<Pub.Theme, Impl.Theme>>,
  Assert<Mutual<Pub.Strings, ImplStrings>>,
  Assert<Mutual<Pub.AlloyEvent, Impl.AlloyEvent>>,
  Assert<Mutual<Pub.AlloyEventName, Impl.AlloyEventName>>,
  Assert<SameFn<Pub.AlloyListener, Impl.AlloyListener>>,
  Assert<Mutual<Pub.SendResult, Impl.SendResult>>,
  Assert<Mutual<Pub.OutboxReport, Impl.OutboxReport>>,
  Assert<Mutual<Pub.AlloyErrorCode, Impl.AlloyErrorCode>>,
  // The error class: its instances and its constructor.
  Assert<Mutual<Pub.AlloyError, Impl.AlloyError>>,
  Assert<Mutual<ConstructorParameters<typeof Pub.AlloyError>, ConstructorParameters<typeof Impl.AlloyError>>>,
  Assert<Mutual<typeof Pub.AlloyError, typeof Impl.AlloyError>>,
  // Every method, parameters and result, and no method missing or extra: the ES module's named
  // exports are AlloyInstance's keys, `Alloy` and `default`.
  Assert<AllTrue<{ [K in Methods]: SameFn<Pub.AlloyInstance[K], Module[K]> }>>,
  Assert<Mutual<keyof Pub.AlloyInstance, Exclude<keyof Module, 'Alloy' | 'default'>>>,
  // What Alloy() returns, and the script tag's window.Alloy.
  Assert<Mutual<Pub.AlloyInstance, ReturnType<Module['Alloy']>>>,
  Assert<Mutual<Pub.AlloyApi, typeof AlloyGlobal>>,
];
