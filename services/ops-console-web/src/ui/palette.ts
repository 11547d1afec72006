/** Okabe–Ito: distinguishable with every common colour-vision deficiency. Never the only signal. */
export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  black: '#000000',
} as const;

export const SERIES_COLOURS = [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.yellow];

/** On the wall's black: the light members first (blue #0072B2 is too dark on black). */
export const SERIES_COLOURS_ON_DARK = [OKABE_ITO.skyBlue, OKABE_ITO.orange, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.reddishPurple, OKABE_ITO.yellow];
