/** Where this connector serves the Dataspace Protocol (2025-1 HTTPS bindings): the one place the path is named. */
export const DSP_BASE_PATH = '/dsp/2025-1';

/** A connector's DSP base address (its callbackAddress and the address peers send to) from its public URL. */
export const dspAddressOf = (publicUrl: string) => `${publicUrl.replace(/\/+$/, '')}${DSP_BASE_PATH}`;
