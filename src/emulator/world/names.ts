/** Word lists the org generator draws from. Phone ranges are ones set aside for drama and testing. */

export const FIRST_NAMES = [
  'Ada',
  'Amir',
  'Ana',
  'Ben',
  'Carla',
  'Chen',
  'Dara',
  'David',
  'Elena',
  'Emeka',
  'Fatima',
  'Felix',
  'Grace',
  'Hana',
  'Hugo',
  'Ines',
  'Ivan',
  'Jada',
  'Jonas',
  'Kai',
  'Keiko',
  'Leila',
  'Liam',
  'Lucia',
  'Maya',
  'Mateo',
  'Nadia',
  'Niko',
  'Olga',
  'Omar',
  'Paula',
  'Priya',
  'Quinn',
  'Rafael',
  'Rosa',
  'Sami',
  'Sofia',
  'Tariq',
  'Tess',
  'Uma',
  'Victor',
  'Wen',
  'Xavier',
  'Yara',
  'Yusuf',
  'Zoe',
] as const;

export const LAST_NAMES = [
  'Abara',
  'Berg',
  'Castillo',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jansen',
  'Kowalski',
  'Laine',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Patel',
  'Quiroga',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Uddin',
  'Varga',
  'Walsh',
  'Xu',
  'Yilmaz',
  'Zhang',
  'Novak',
  'Silva',
  'Murphy',
  'Khan',
] as const;

export const QUEUE_NAMES = [
  'Customer Care',
  'Billing',
  'Technical Support',
  'Sales',
  'Retention',
  'Orders & Delivery',
  'Claims',
  'VIP Care',
  'Returns',
  'Onboarding',
  'Collections',
  'Appointments',
] as const;

export const WRAPUP_CODE_NAMES = [
  'Resolved',
  'Follow-up required',
  'Escalated',
  'Information provided',
  'Order placed',
  'Refund issued',
  'Complaint logged',
  'Wrong department',
  'Callback scheduled',
  'No answer from customer',
] as const;

export const DEPARTMENTS = ['Service', 'Sales', 'Support', 'Operations'] as const;
export const TITLES = ['Agent', 'Senior Agent', 'Team Lead', 'Specialist'] as const;

/** Countries contacts live in: fictional number ranges (prefix + `digits` random digits) and time zones. */
export const COUNTRIES = [
  // 555-0100..0199 is reserved for fiction in North American area codes.
  {
    countryCode: 'US',
    prefixes: ['+121255501', '+131255501', '+141555501', '+161755501', '+120655501'],
    digits: 2,
    timeZones: ['America/New_York', 'America/Chicago', 'America/Los_Angeles'],
    cities: ['Springfield', 'Fairview'],
  },
  // 07700 900000..900999 is Ofcom's drama range.
  {
    countryCode: 'GB',
    prefixes: ['+447700900'],
    digits: 3,
    timeZones: ['Europe/London'],
    cities: ['Leeds', 'York'],
  },
  // 0491 570 xxx is set aside by ACMA for fictional mobile numbers.
  {
    countryCode: 'AU',
    prefixes: ['+61491570'],
    digits: 3,
    timeZones: ['Australia/Sydney', 'Australia/Perth'],
    cities: ['Geelong', 'Perth'],
  },
] as const;

export const CUSTOMER_LINES = [
  'Hi, I have a question about my order.',
  'Hello, my invoice looks wrong this month.',
  'Can you help me change my delivery address?',
  'The app keeps logging me out.',
  'I would like to upgrade my plan.',
  'When will my refund arrive?',
  'Thanks, that helps.',
  'Yes, that is correct.',
  'Could you send me the details by email?',
  'Great, thank you!',
] as const;

export const AGENT_LINES = [
  'Hello, thanks for reaching out. How can I help?',
  'Let me check that for you.',
  'I can see your account now.',
  'That has been updated.',
  'Is there anything else I can help with?',
  'Thanks for your patience.',
] as const;

export const EMAIL_SUBJECTS = [
  'Question about my account',
  'Order status',
  'Billing enquiry',
  'Request for a callback',
  'Complaint',
] as const;
