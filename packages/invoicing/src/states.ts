/**
 * India's states and union territories with their GST state codes (the first two digits of a
 * GSTIN), and the places a customer's `city` may name. The place of supply decides the tax:
 * CGST + SGST (or UTGST) inside the seller's state, IGST across states.
 */

export interface IndianState {
  name: string;
  /** GST state code, e.g. "27" for Maharashtra. */
  code: string;
  /**
   * Union territories without a legislature levy UTGST instead of SGST (Chandigarh, Ladakh, …);
   * Delhi, Puducherry and Jammu and Kashmir have legislatures and levy SGST.
   */
  utgst: boolean;
}

const STATES: IndianState[] = [
  ['Jammu and Kashmir', '01'],
  ['Himachal Pradesh', '02'],
  ['Punjab', '03'],
  ['Chandigarh', '04', true],
  ['Uttarakhand', '05'],
  ['Haryana', '06'],
  ['Delhi', '07'],
  ['Rajasthan', '08'],
  ['Uttar Pradesh', '09'],
  ['Bihar', '10'],
  ['Sikkim', '11'],
  ['Arunachal Pradesh', '12'],
  ['Nagaland', '13'],
  ['Manipur', '14'],
  ['Mizoram', '15'],
  ['Tripura', '16'],
  ['Meghalaya', '17'],
  ['Assam', '18'],
  ['West Bengal', '19'],
  ['Jharkhand', '20'],
  ['Odisha', '21'],
  ['Chhattisgarh', '22'],
  ['Madhya Pradesh', '23'],
  ['Gujarat', '24'],
  ['Dadra and Nagar Haveli and Daman and Diu', '26', true],
  ['Maharashtra', '27'],
  ['Karnataka', '29'],
  ['Goa', '30'],
  ['Lakshadweep', '31', true],
  ['Kerala', '32'],
  ['Tamil Nadu', '33'],
  ['Puducherry', '34'],
  ['Andaman and Nicobar Islands', '35', true],
  ['Telangana', '36'],
  ['Andhra Pradesh', '37'],
  ['Ladakh', '38', true],
].map(([name, code, utgst]) => ({ name: name as string, code: code as string, utgst: utgst === true }));

/** Other spellings people write for a state. */
const STATE_ALIASES: Record<string, string> = {
  orissa: 'Odisha',
  'new delhi': 'Delhi',
  'nct of delhi': 'Delhi',
  pondicherry: 'Puducherry',
  'jammu & kashmir': 'Jammu and Kashmir',
  'andaman & nicobar islands': 'Andaman and Nicobar Islands',
  uttaranchal: 'Uttarakhand',
};

/** Major cities by state: enough for the addresses customers give today; a state name is accepted too. */
const CITIES: Record<string, string[]> = {
  Maharashtra: ['Mumbai', 'Bombay', 'Pune', 'Nagpur', 'Thane', 'Nashik', 'Navi Mumbai', 'Aurangabad', 'Kolhapur', 'Solapur'],
  Delhi: ['Delhi', 'New Delhi'],
  Karnataka: ['Bengaluru', 'Bangalore', 'Mysuru', 'Mysore', 'Mangaluru', 'Mangalore', 'Hubballi', 'Hubli'],
  'Tamil Nadu': ['Chennai', 'Madras', 'Coimbatore', 'Madurai', 'Tiruchirappalli', 'Salem'],
  Telangana: ['Hyderabad', 'Secunderabad', 'Warangal'],
  'West Bengal': ['Kolkata', 'Calcutta', 'Howrah', 'Durgapur', 'Siliguri'],
  Gujarat: ['Ahmedabad', 'Surat', 'Vadodara', 'Baroda', 'Rajkot', 'Gandhinagar'],
  Rajasthan: ['Jaipur', 'Jodhpur', 'Udaipur', 'Kota', 'Ajmer'],
  'Uttar Pradesh': ['Lucknow', 'Kanpur', 'Noida', 'Ghaziabad', 'Agra', 'Varanasi', 'Prayagraj', 'Allahabad', 'Meerut'],
  Haryana: ['Gurugram', 'Gurgaon', 'Faridabad', 'Panipat', 'Ambala'],
  Chandigarh: ['Chandigarh'],
  'Madhya Pradesh': ['Bhopal', 'Indore', 'Gwalior', 'Jabalpur'],
  Bihar: ['Patna', 'Gaya'],
  Kerala: ['Kochi', 'Cochin', 'Thiruvananthapuram', 'Trivandrum', 'Kozhikode', 'Calicut', 'Thrissur'],
  'Andhra Pradesh': ['Visakhapatnam', 'Vizag', 'Vijayawada', 'Guntur', 'Tirupati', 'Amaravati'],
  Odisha: ['Bhubaneswar', 'Cuttack'],
  Assam: ['Guwahati', 'Dispur'],
  Jharkhand: ['Ranchi', 'Jamshedpur', 'Dhanbad'],
  Chhattisgarh: ['Raipur', 'Bhilai'],
  Uttarakhand: ['Dehradun', 'Haridwar'],
  'Himachal Pradesh': ['Shimla'],
  Punjab: ['Ludhiana', 'Amritsar', 'Jalandhar', 'Mohali'],
  'Jammu and Kashmir': ['Srinagar', 'Jammu'],
  Goa: ['Panaji', 'Panjim', 'Margao', 'Vasco da Gama'],
  Puducherry: ['Puducherry', 'Pondicherry'],
};

const normalise = (text: string) => text.trim().toLowerCase().replace(/\s+/g, ' ');

const BY_NAME = new Map<string, IndianState>(STATES.map((state) => [normalise(state.name), state]));
for (const [alias, name] of Object.entries(STATE_ALIASES)) BY_NAME.set(alias, BY_NAME.get(normalise(name))!);
const BY_CITY = new Map<string, IndianState>(
  Object.entries(CITIES).flatMap(([state, cities]) => cities.map((city) => [normalise(city), BY_NAME.get(normalise(state))!] as const)),
);
const BY_CODE = new Map<string, IndianState>(STATES.map((state) => [state.code, state]));

/** The state a state name (or a common alias) names; undefined when it names none. */
export function stateNamed(name: string): IndianState | undefined {
  return BY_NAME.get(normalise(name));
}

export function stateWithCode(code: string): IndianState | undefined {
  return BY_CODE.get(code);
}

/**
 * The state a customer's place is in: a known city, a state's name, or "City, State" (each part
 * is tried, the last first, since addresses end with the state). Undefined when none is known.
 */
export function stateOfPlace(place: string | null | undefined): IndianState | undefined {
  if (!place) return undefined;
  const parts = place.split(',').map(normalise).filter(Boolean).reverse();
  for (const part of parts) {
    const state = BY_NAME.get(part) ?? BY_CITY.get(part);
    if (state) return state;
  }
  return undefined;
}
