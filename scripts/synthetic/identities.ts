import type { Random } from './random.ts';

/**
 * Synthetic direct identifiers for a patient: names, an address, telecom, hospital and insurance identifiers
 * and a next of kin, drawn from small per-country lists. They look like a hospital's, so the release pipeline
 * has something real to remove; no real person is meant. Domains are example.* (RFC 2606).
 */

interface CountryNames {
  country: string;
  state: string[];
  cities: { city: string; postal: string; state: number }[];
  /** Digits in a postal code, after the city's prefix (and a country letter such as L-). */
  postalDigits: number;
  postalLetter?: string;
  streets: string[];
  family: string[];
  givenMale: string[];
  givenFemale: string[];
  phone: (random: Random) => string;
  insurance: { system: string; value: (random: Random) => string };
}

const digits = (random: Random, n: number) => Array.from({ length: n }, () => String(random.int(0, 9))).join('');

const NAMES: Record<string, CountryNames> = {
  LU: {
    country: 'LU',
    state: ['Luxembourg', 'Diekirch', 'Grevenmacher'],
    cities: [
      { city: 'Luxembourg', postal: '1', state: 0 },
      { city: 'Esch-sur-Alzette', postal: '4', state: 0 },
      { city: 'Ettelbruck', postal: '9', state: 1 },
      { city: 'Echternach', postal: '6', state: 2 },
    ],
    postalDigits: 4,
    postalLetter: 'L-',
    streets: ['Rue de la Gare', 'Avenue de la Liberté', "Route d'Arlon", 'Rue du Fossé', 'Boulevard Royal'],
    family: ['Schmit', 'Muller', 'Weber', 'Hoffmann', 'Wagner', 'Thill', 'Schroeder', 'Reuter', 'Kieffer', 'Majerus'],
    givenMale: ['Jean', 'Marc', 'Paul', 'Luc', 'Tom', 'Claude'],
    givenFemale: ['Marie', 'Anne', 'Nathalie', 'Sandra', 'Carole', 'Michèle'],
    phone: (random) => `+352 ${random.int(621, 691)} ${digits(random, 3)} ${digits(random, 3)}`,
    insurance: { system: 'https://hospital.example/fhir/sid/cns-matricule', value: (random) => `${random.int(1930, 1990)}${digits(random, 9)}` },
  },
  FR: {
    country: 'FR',
    state: ['Grand Est'],
    cities: [
      { city: 'Metz', postal: '570', state: 0 },
      { city: 'Thionville', postal: '571', state: 0 },
      { city: 'Nancy', postal: '540', state: 0 },
    ],
    postalDigits: 5,
    streets: ['Rue Serpenoise', 'Avenue Foch', 'Rue des Clercs', 'Place Saint-Louis'],
    family: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand', 'Leroy'],
    givenMale: ['Pierre', 'Nicolas', 'Julien', 'Philippe'],
    givenFemale: ['Sophie', 'Isabelle', 'Camille', 'Claire'],
    phone: (random) => `+33 6 ${digits(random, 2)} ${digits(random, 2)} ${digits(random, 2)} ${digits(random, 2)}`,
    insurance: { system: 'urn:oid:1.2.250.1.213.1.4.8', value: (random) => `${random.int(1, 2)}${digits(random, 14)}` },
  },
  BE: {
    country: 'BE',
    state: ['Wallonie'],
    cities: [
      { city: 'Arlon', postal: '67', state: 0 },
      { city: 'Liège', postal: '40', state: 0 },
    ],
    postalDigits: 4,
    streets: ['Grand-Rue', 'Rue de Diekirch', 'Avenue de Longwy'],
    family: ['Peeters', 'Janssens', 'Lambert', 'Dupont', 'Renard'],
    givenMale: ['Luc', 'Olivier', 'Didier'],
    givenFemale: ['Véronique', 'Chantal', 'Martine'],
    phone: (random) => `+32 47${random.int(0, 9)} ${digits(random, 2)} ${digits(random, 2)} ${digits(random, 2)}`,
    insurance: { system: 'https://hospital.example/fhir/sid/be-niss', value: (random) => digits(random, 11) },
  },
  DE: {
    country: 'DE',
    state: ['Rheinland-Pfalz', 'Saarland'],
    cities: [
      { city: 'Trier', postal: '542', state: 0 },
      { city: 'Saarbrücken', postal: '661', state: 1 },
      { city: 'Bitburg', postal: '546', state: 0 },
    ],
    postalDigits: 5,
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Schulstraße', 'Kirchweg'],
    family: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Meyer', 'Becker', 'Koch'],
    givenMale: ['Thomas', 'Michael', 'Stefan', 'Andreas'],
    givenFemale: ['Sabine', 'Petra', 'Julia', 'Katrin'],
    phone: (random) => `+49 151 ${digits(random, 8)}`,
    insurance: { system: 'http://fhir.de/sid/gkv/kvid-10', value: (random) => `${String.fromCharCode(65 + random.int(0, 25))}${digits(random, 9)}` },
  },
};

const COUNTRIES = ['LU', 'LU', 'LU', 'LU', 'FR', 'BE', 'DE'] as const;

export const MRN_SYSTEM = 'https://hospital.example/fhir/sid/mrn';

const ascii = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');

/** The identifying parts of one Patient resource (everything but id, gender and birthDate). */
export function syntheticIdentity(random: Random, index: number, gender: 'male' | 'female') {
  const names = NAMES[random.pick(COUNTRIES)]!;
  const family = random.pick(names.family);
  const given = [random.pick(gender === 'male' ? names.givenMale : names.givenFemale)];
  const place = random.pick(names.cities);
  const postalCode = (names.postalLetter ?? '') + place.postal + digits(random, names.postalDigits - place.postal.length);
  const mrn = `MRN${String(4_100_000 + index * 7 + random.int(0, 6)).padStart(8, '0')}`;
  const kinFamily = random.next() < 0.7 ? family : random.pick(names.family);
  const kinGiven = random.pick(random.next() < 0.5 ? names.givenMale : names.givenFemale);
  const phone = names.phone(random);
  const line = `${random.int(1, 180)} ${random.pick(names.streets)}`;
  return {
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${given[0]} ${family.toUpperCase()}, ${mrn}, ${line}, ${place.city}</div>` },
    identifier: [
      { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: MRN_SYSTEM, value: mrn },
      { use: 'official', system: names.insurance.system, value: names.insurance.value(random) },
    ],
    name: [{ use: 'official', family, given }],
    telecom: [
      { system: 'phone', value: phone, use: 'mobile' },
      { system: 'email', value: `${ascii(given[0]!)}.${ascii(family)}${random.int(1, 99)}@mail.example.net`, use: 'home' },
    ],
    address: [{ use: 'home', type: 'both', line: [line], city: place.city, postalCode, state: names.state[place.state]!, country: names.country }],
    contact: [
      {
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N', display: 'Next-of-Kin' }] }],
        name: { family: kinFamily, given: [kinGiven] },
        telecom: [{ system: 'phone', value: names.phone(random) }],
      },
    ],
  };
}
