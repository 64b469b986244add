package offline

import "strings"

// The built-in word lists. They are part of the embedder's definition:
// changing them changes vectors, so Version must change with them.

// stopWords carry no topic: function words, pronouns, auxiliaries and the
// pieces contractions split into. They are left out of the vector (unless a
// text holds nothing else).
const stopWords = `
a about above after again against all am an and any are as at be because been before being below
between both but by can cannot could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom whose why will
with would you your yours yourself yourselves also am s t m d ll re ve don doesn didn isn wasn aren
weren hasn haven hadn won wouldn shouldn couldn mustn im ive id youre youve theyre thats whats
theres heres lets itll shes hes wont cant dont doesnt didnt isnt wasnt arent werent us oh ah um uh
hmm hey hi hello would shall may might must ok okay yeah yep yes nope lol via etc ie eg vs
`

// commonWords are frequent in conversation but carry some meaning; they
// count at commonWeight, an IDF-like discount without a corpus.
const commonWords = `
get got getting gets go goes going went gone know knew known think thought really like good well
thing things lot lots time times day days today one make made makes making want wanted see saw seen
say said says way much many thanks thank please maybe actually pretty still even back new right sure
great nice cool kind something anything everything nothing someone anyone everyone people guess mean
let need feel felt come came take took look looking tell told use used find found give gave work
try tried call called keep put bit little big long last next first year years week weeks today
tomorrow yesterday now soon later place ever recently usually kind sort always never often sometimes usually probably definitely though
although however anyway also else every another around again ago already almost enough quite rather
able stuff idea help question sorry fine best better lot whole part different same small large old
`

// commonWeight is the weight of a common word relative to a rarer one.
const commonWeight = 0.5

// synonymGroups lists words that should meet in the vector. Each line is
// a group; every word in it adds the group's concept feature, so "purchase"
// and "buy" share a dimension. Words are matched by stem ("purchases" finds
// "purchase"). A plain line is a strict group: spellings, inflections and
// near-synonyms that can replace each other. A line starting with "~" is a
// broad group: a topic or a hypernym with its common members ("car" and
// "Subaru", "language" and "Portuguese"), which count for less. Most words
// are in one strict group at most.
const synonymGroups = `
favourite favorite fav fave prefer preferred preference love loves loved adore enjoy fond like
hate hated dislike detest loathe despise
best greatest finest
car cars vehicle automobile auto
~ car vehicle sedan suv hatchback convertible subaru toyota honda ford tesla bmw audi volkswagen vw volvo mazda kia hyundai nissan jeep porsche mercedes fiat renault peugeot
truck lorry pickup van
bike bicycle cycling cyclist
motorbike motorcycle scooter moped
plane airplane aeroplane aircraft jet flight flights fly flying flew airline airport
rail railway subway metro tram underground
bus buses coach
drive driving drove driver commute commuting
trip travel travelling traveling traveled travelled journey vacation holiday holidays getaway tour
visit visited visiting visitor
doctor physician gp medic clinician
vet vets veterinarian veterinary
dentist dental orthodontist
nurse nursing
hospital clinic
sick ill illness unwell disease poisoning nausea vomiting
medicine medication medications meds drug drugs pill pills prescription tablets
shot shots vaccine vaccines vaccination vaccinations jab booster injection
surgery operation surgeon
pain ache aching hurt hurts sore
injury injured injuries broke broken fracture fractured sprain sprained
headache migraine
allergy allergies allergic intolerance intolerant
vegetarian vegan
~ diet vegan vegetarian meat dairy pescatarian keto
exercise workout gym fitness
run running jog jogging runner
race marathon triathlon 5k 10k
swim swimming swimmer
buy bought buying purchase purchased purchasing acquire
sell sold selling
cost costs price priced pricey expensive afford
cheap inexpensive affordable bargain
money cash funds dollars euros bucks
pay paid payment salary wage wages income earn earns earned earnings paycheck
owe owed owes debt repay lend lent borrow borrowed loan
job jobs work works working occupation profession career employment employed
~ profession job occupation nurse physician doctor teacher engineer lawyer chef accountant designer architect pilot electrician plumber programmer developer scientist manager consultant pharmacist journalist
role position title post
employer company firm corporation
~ business shop store bakery cafe restaurant bar startup company firm
boss manager supervisor
colleague colleagues coworker coworkers teammate
hire hired hiring recruit recruiting
quit quitting resign resigned resignation leave leaving
retire retired retirement pension
fired layoff layoffs
promote promoted promotion
interview interviewed interviewing apply applied applying application candidate
recommend recommended recommendation suggest suggested suggestion advise advised
film films movie movies cinema
tv television series sitcom
book books novel novels read reading
song songs music tune tunes album
~ instrument violin guitar piano drums cello flute saxophone trumpet ukulele harp clarinet
band singer musician
concert gig festival
game games gaming videogame
sport sports
~ sport football soccer basketball tennis baseball hockey golf rugby cricket volleyball
club group society
mother mom mum mommy mama mummy
father dad daddy papa
parent parents
wife husband spouse
boyfriend girlfriend partner fiance fiancee
sister sisters brother brothers sibling siblings
daughter daughters son sons child children kid kids
baby babies infant newborn toddler
grandmother grandma granny nana
grandfather grandpa granddad
grandparent grandparents
aunt auntie
uncle
cousin cousins
niece nephew
family relatives relative
friend friends buddy pal bestie
neighbour neighbor neighbours neighbors
pet pets
~ pet dog dogs puppy cat cats kitten hamster rabbit parrot goldfish guinea tortoise
dog dogs puppy pup hound canine
~ breed beagle labrador retriever poodle terrier bulldog spaniel husky collie dachshund chihuahua shepherd
cat cats kitten kitty feline
adopt adopted adoption rescue rescued
name names named nickname called
birthday born birth bday
anniversary
wedding marry married marriage
age aged
live lives living lived reside resides residence
~ live move moved moving relocate relocated settled
house apartment flat condo
home
~ remote home wfh telework hybrid
city town
~ city lisbon porto madrid barcelona paris lyon marseille london manchester dublin edinburgh berlin munich hamburg vienna zurich geneva rome milan amsterdam brussels prague krakow warsaw budapest athens istanbul moscow stockholm oslo copenhagen helsinki boston chicago denver austin seattle portland miami atlanta houston dallas toronto montreal vancouver bogota lima santiago cairo nairobi lagos dubai mumbai delhi bangalore singapore bangkok tokyo osaka kyoto seoul beijing shanghai taipei sydney melbourne auckland
country nation
~ country portugal spain france germany italy ireland england britain uk usa america canada mexico brazil argentina colombia chile peru japan china india korea australia kenya nigeria egypt greece turkey poland sweden norway denmark finland netherlands belgium switzerland austria
~ language languages fluent portuguese spanish french german english italian japanese chinese mandarin cantonese arabic russian hindi korean dutch swedish polish greek turkish
neighbourhood neighborhood district
garden yard backyard
school schools
university college uni campus
study studying studied learn learning learned learnt lesson lessons class classes course courses
student students pupil
teach teaching taught teacher teachers professor tutor instructor
exam exams test tests
degree diploma graduate graduated graduation
speak speaks spoke speaking talk talking
phone phones mobile cellphone smartphone
computer computers laptop laptops pc desktop
email emails mail
message messages text texting
password passwords passcode
internet online wifi
website site
app apps
code coding programming programmer developer software
food foods meal meals dish dishes cuisine eat eating ate eaten
~ food eat restaurant dinner lunch breakfast snack
cook cooking cooked chef recipe recipes ingredient ingredients
bake baking baked bakery
breakfast brunch
lunch
dinner supper
restaurant restaurants diner bistro eatery
coffee espresso latte cappuccino
tea
drink drinks drinking beverage beverages
~ drink coffee tea juice soda water beer wine
beer ale lager
wine
snack snacks
dessert desserts
cake cakes
cookie cookies biscuit biscuits
candy chocolate sweets
fruit fruits
vegetable vegetables veggies
meat beef pork steak
seafood shellfish shrimp prawn prawns lobster crab oyster
nut nuts peanut peanuts almond almonds cashew
milk dairy lactose
gluten wheat
pasta spaghetti noodles
happy glad joyful cheerful pleased delighted
sad unhappy upset depressed miserable
angry mad furious annoyed irritated
scared afraid frightened fear fears terrified phobia
anxious nervous worried anxiety
tired exhausted sleepy weary
sleep sleeping slept nap asleep insomnia
stress stressed stressful
noise noisy loud
big large huge enormous giant massive
small tiny
fast quick quickly rapid speedy
slow slowly
begin start started starting beginning
finish finished complete completed
fix fixed fixing repair repaired repairing mend
help helping helped assist assistance
ask asked asking inquire
answer answered reply replied respond response
remember remembered recall memory memories remind reminder
forget forgot forgotten
plan plans planning planned schedule scheduled
meeting meetings appointment appointments
deadline due
store stored save saved saving
folder folders drive directory
weekend weekends
morning mornings
evening evenings night nights tonight
week weekly
month monthly
year yearly annual annually
january jan
february feb
march
april apr
june jun
july jul
august aug
september sept
october oct
november nov
december dec
monday
tuesday tue tues
wednesday wed
thursday thu thurs
friday fri
saturday
sunday
autumn fall
weather forecast
rain raining rainy
snow snowing snowy
hot warm heat
cold chilly freezing
colour color colours colors hue shade
~ colour color red blue green yellow orange purple pink teal turquoise black white grey gray brown beige navy
grey gray
clothes clothing outfit
shoe shoes sneakers trainers boots
trousers pants jeans
sweater jumper hoodie
hobby hobbies pastime
paint painting painter
draw drawing sketch
photo photos photograph picture pictures photography camera
write writing wrote writer
hike hiking hiker trail
camp camping tent
beach seaside coast
mountain mountains hill hills
sea ocean
vote voted election
religion religious faith
volunteer volunteers volunteering charity
donate donation donated
gift gifts
party parties celebration celebrate
christmas xmas
rent renting landlord tenant lease
mortgage
bank banking
insurance insured
tax taxes
budget budgeting savings
invest investing investment investments stocks
garbage rubbish trash
pharmacy chemist drugstore
petrol gasoline fuel
parking
street road avenue
shop store shops stores
mall
centre center
theatre theater
organise organize organised organized
realise realize
favour favor
humour humor
behaviour behavior
jewellery jewelry
tyre tire tyres tires
programme program
licence license
catalogue catalog
one 1
two 2 twice pair couple
three 3
four 4
five 5
six 6
seven 7
eight 8
nine 9
ten 10
hundred 100
thousand 1000
first 1st
second 2nd
third 3rd
husband hubby
lost lose losing missing
died dead death funeral
tall height
weight weigh weighs kg lbs
glasses spectacles
hair haircut hairdresser barber
mechanic garage
key keys
address
postcode zip
`

// The groups and word lists, indexed by stem.
var (
	stops    = map[string]bool{}
	commons  = map[string]bool{}
	concepts = map[string][]concept{}
)

// concept is a group a stem belongs to.
type concept struct {
	id    uint32
	broad bool
}

func init() {
	for _, w := range strings.Fields(stopWords) {
		stops[w] = true
	}
	for _, w := range strings.Fields(commonWords) {
		commons[stem(w)] = true
	}
	for id, line := range strings.Split(strings.TrimSpace(synonymGroups), "\n") {
		line, broad := strings.CutPrefix(line, "~")
		seen := map[string]bool{}
		for _, w := range strings.Fields(line) {
			toks := tokenize(w, nil)
			if len(toks) != 1 {
				panic("offline: lexicon entry " + w + " is not one word")
			}
			s := stem(toks[0])
			if seen[s] {
				continue
			}
			seen[s] = true
			concepts[s] = append(concepts[s], concept{id: uint32(id), broad: broad})
		}
	}
}
